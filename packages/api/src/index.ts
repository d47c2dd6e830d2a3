export { createApp, type AppOptions } from './app.js';
export { startApiServer, type ServerOptions } from './server.js';
export { openApiDocument } from './openapi.js';
