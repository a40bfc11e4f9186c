export { assemble, DEFAULT_CATALOGUE_TTL_MS, SchemaBrowserService } from './service';
export type { CatalogueColumn, CatalogueIndex, CatalogueParameter, CatalogueRoutine, CatalogueSchema, CatalogueTable, DatabaseCatalogue } from './types';
