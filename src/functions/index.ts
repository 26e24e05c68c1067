export type { CallArgs, CallContext, PreparedBatch, ProxyFunction } from './contract.js';
export { defineFunction, optionalParam, param, table, type ArgsOf, type FunctionDeclaration, type Param } from './define.js';
export { FunctionRegistry } from './registry.js';
export type { FunctionCatalog, FunctionSignature, ParamSpec, ReturnSpec } from './signature.js';
