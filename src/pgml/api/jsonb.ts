// jsonb arguments are read where the embedding options are, so both layers refuse bad JSON alike.
export { parseJsonb as jsonbArgument } from '../embeddings/options.js';
