// Registers scripts/raw-loader.mjs (see there). Used as `tsx --import ./scripts/register-raw.mjs`.
import { register } from 'node:module';
register('./raw-loader.mjs', import.meta.url);
