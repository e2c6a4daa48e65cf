import { defineConfig } from 'drizzle-kit';

// Migrations are generated from the schema (`npm run db:generate`), reviewed,
// committed and embedded in the binary; the server applies them at start.
export default defineConfig({
  dialect: 'sqlite',
  schema: './server/db/schema/index.ts',
  out: './server/db/migrations',
});
