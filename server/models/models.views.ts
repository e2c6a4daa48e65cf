import type { CatalogModel } from './models.types.ts';

/** A catalog entry as the API returns it and the pages render it. */
export interface ModelView {
  name: string;
  kind: CatalogModel['kind'];
  contextLength: number;
  dimensions: number | null;
  enabled: boolean;
  isDefault: boolean;
  updatedAt: string;
}

/** Shapes a catalog entry, field by field. */
export function publicModel(m: CatalogModel): ModelView {
  return {
    name: m.name,
    kind: m.kind,
    contextLength: m.contextLength,
    dimensions: m.dimensions,
    enabled: m.enabled,
    isDefault: m.isDefault,
    updatedAt: m.updatedAt.toISOString(),
  };
}
