export * from './codes.js';
export * as backend from './backend.js';
export * as frontend from './frontend.js';
export * from './decode.js';
export { MessageFramer, MAX_MESSAGE_LENGTH, MAX_STARTUP_LENGTH } from './framer.js';
export type { MessageHandler } from './framer.js';
export type { FieldDescription } from './backend.js';
export { Reader } from './reader.js';
export { Writer } from './writer.js';
