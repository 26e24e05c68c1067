/**
 * What src/sql needs to know about the functions the proxy evaluates itself: their signatures, as
 * src/functions declares them (types only; src/sql never imports pgml or cron, STYLE.md layering).
 */
export type { FunctionCatalog, FunctionSignature, ParamSpec, ReturnSpec } from '../functions/signature.js';
