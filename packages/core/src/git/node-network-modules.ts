import { createRequire } from 'node:module';

/**
 * Node's network modules, loaded when first asked for: a command that never reaches a remote
 * does not pay for http (about 10 ms at start), and one that reaches only an http:// remote does
 * not pay for https and tls (about 5 ms more).
 */
const load = createRequire(import.meta.url);
export const nodeHttp = () => load('node:http') as typeof import('node:http');
export const nodeHttps = () => load('node:https') as typeof import('node:https');
export const nodeTls = () => load('node:tls') as typeof import('node:tls');
