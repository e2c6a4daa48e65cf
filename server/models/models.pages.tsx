/** @jsxImportSource hono/jsx */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { ModelBackend } from '../backend/backend.types.ts';
import { actorOf, callerOf } from '../http/middleware/guards.ts';
import type { AppEnv } from '../http/types.ts';
import type { ModelService } from './models.service.ts';
import { ModelsPage, type OfferedModel } from './models.page.tsx';
import { publicModel } from './models.views.ts';
import { checkbox, formAction, optionalNumber, parseForm, type FormOutcome } from '../ui/forms.ts';
import { pageAdmin } from '../ui/guards.ts';

const name = z.string().trim().min(1, 'give the model name').max(200);
const contextLength = z.coerce.number().int().min(256).max(1_048_576);
const addForm = z.object({
  name,
  kind: z.enum(['chat', 'embedding']),
  contextLength,
  dimensions: z.preprocess(optionalNumber, z.number().int().min(1).max(16_384).optional()),
  enabled: z.preprocess(checkbox, z.boolean()),
  isDefault: z.preprocess(checkbox, z.boolean()),
});
const flag = z.enum(['true', 'false']).transform((v) => v === 'true');
const updateForm = z.object({ name, contextLength: contextLength.optional(), enabled: flag.optional(), isDefault: flag.optional() });

/** Dependencies of the models page. */
export interface ModelPagesDeps {
  catalog: ModelService;
  backend: ModelBackend;
}

/** `/admin/models`: the catalog and the models connected miners offer. */
export function modelsPages(deps: ModelPagesDeps) {
  const render = async (c: Context<AppEnv>, outcome: FormOutcome<object> = {}, status = 200) => {
    const models = deps.catalog.list().map(publicModel);
    const known = new Set(models.map((m) => m.name));
    let available: OfferedModel[] = [];
    try {
      available = (await deps.backend.available()).filter((m) => !known.has(m.name));
    } catch {
      // An unreachable backend must not hide the catalog; the list is just empty.
    }
    return c.html(<ModelsPage caller={callerOf(c)} models={models} available={available} {...outcome} />, status as 200);
  };
  const attempt = formAction<object>(render);
  const actor = (c: Context<AppEnv>) => actorOf(callerOf(c));

  return new Hono<AppEnv>()
    .use(pageAdmin)
    .get('/', (c) => render(c))
    .post('/', (c) =>
      attempt(c, async () => {
        const form = parseForm(addForm, await c.req.parseBody());
        const m = deps.catalog.save(actor(c), form);
        return { info: `Added ${m.name} (${m.kind}, ${m.contextLength} tokens)${m.isDefault ? ' as the default' : ''}.` };
      }),
    )
    .post('/update', (c) =>
      attempt(c, async () => {
        const { name: model, ...patch } = parseForm(updateForm, await c.req.parseBody());
        const m = deps.catalog.update(actor(c), model, patch);
        return { info: `Saved ${m.name}: ${m.enabled ? 'enabled' : 'disabled'}, ${m.contextLength} tokens${m.isDefault ? ', default' : ''}.` };
      }),
    )
    .post('/remove', (c) =>
      attempt(c, async () => {
        const form = parseForm(z.object({ name }), await c.req.parseBody());
        deps.catalog.remove(actor(c), form.name);
        return { info: `Removed ${form.name} from the catalog.` };
      }),
    );
}
