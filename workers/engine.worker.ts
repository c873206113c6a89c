// The engine's web worker: exposes EngineApi (src/worker/protocol.ts), implemented in
// src/worker/engine.ts, to the page through comlink. Imports src/worker only, never the page.
import * as Comlink from 'comlink';
import { engineApi } from '../src/worker/engine';

Comlink.expose(engineApi);
