// Mailbox records between the device actor and the native engine: kinds, fields and their typed
// encoders and decoders are generated from abi/schema/records.ts (abi/generated/engine-records.ts).
export * from '../../abi/generated/engine-records.js';
