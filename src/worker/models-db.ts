// Models pretrained in this browser, kept in IndexedDB (database "int-lab-models", store "models",
// keyed by name) as whole Hugging Face folders (file name -> bytes) so runs can load them later,
// and a folder as a .tar for download. A model is one record put in one transaction (a reload
// mid-write keeps the old one); a full disk is an error naming the fix.
import { committed, storeFault } from './idb-schema';

export const MODELS_DB = 'int-lab-models';
const STORE = 'models';

/** A stored model folder and what made it. */
export interface StoredModel {
  /** Key: "pretrained-<ISO time>" for models the Pretrain view made. */
  name: string;
  /** config.json, generation_config.json, tokenizer files, model.safetensors, loss.csv, probe.csv. */
  files: Record<string, Uint8Array>;
  /** ISO time it was stored. */
  created: string;
  steps: number;
  tokens: number;
  minutes: number;
  params: number;
  /** Mean loss of the last 5% of steps. */
  lastLoss: number;
}

/** A stored model without its file bytes (what lists show). */
export type StoredModelSummary = Omit<StoredModel, 'files'> & { bytes: number };

/** "pretrained-2026-11-26T13-40-00-000Z": a model name from a time. */
export function pretrainedModelName(created = new Date().toISOString()): string {
  return `pretrained-${created.replace(/[:.]/g, '-')}`;
}

/** Schema 2 has schema 1's one store; see idb-schema.ts for the upgrade. */
const SCHEMA = (dbName: string) => ({ name: dbName, version: 2, stores: [{ name: STORE, keyPath: 'name' }] });

/** One request on the models store in one committed transaction (idb-schema.ts). */
const tx = <T>(dbName: string, mode: IDBTransactionMode, f: (s: IDBObjectStore) => IDBRequest<T>) => committed(SCHEMA(dbName), [STORE], mode, (t) => f(t.objectStore(STORE)));

/** Store (or replace) a model folder. */
export async function saveStoredModel(m: StoredModel, dbName = MODELS_DB): Promise<void> {
  try {
    await tx(dbName, 'readwrite', (s) => s.put(m));
  } catch (e) {
    throw storeFault(e, `storing the model "${m.name}"`, 'the models stored before are unchanged');
  }
}

/** A stored model folder, or undefined when there is none of that name. */
export function getStoredModel(name: string, dbName = MODELS_DB): Promise<StoredModel | undefined> {
  return tx<StoredModel | undefined>(dbName, 'readonly', (s) => s.get(name) as IDBRequest<StoredModel | undefined>);
}

export function deleteStoredModel(name: string, dbName = MODELS_DB): Promise<void> {
  return tx(dbName, 'readwrite', (s) => s.delete(name)).then(() => undefined);
}

export function summarizeModel(m: StoredModel): StoredModelSummary {
  const { files, ...rest } = m;
  return { ...rest, bytes: Object.values(files).reduce((n, b) => n + b.byteLength, 0) };
}

/** Stored models without their bytes, newest first. */
export async function listStoredModels(dbName = MODELS_DB): Promise<StoredModelSummary[]> {
  const all = await tx<StoredModel[]>(dbName, 'readonly', (s) => s.getAll() as IDBRequest<StoredModel[]>);
  return all.map(summarizeModel).sort((a, b) => b.created.localeCompare(a.created));
}

/** A stored model folder as one uncompressed tar archive ("<name>/<file>" entries), for download. */
export function modelFolderTar(m: Pick<StoredModel, 'name' | 'files'>, mtime = Date.now() / 1000): Uint8Array {
  const enc = new TextEncoder();
  const entries = Object.entries(m.files).sort(([a], [b]) => a.localeCompare(b));
  const size = entries.reduce((n, [, b]) => n + 512 + Math.ceil(b.byteLength / 512) * 512, 1024);
  const out = new Uint8Array(size); // zero-filled: padding and the two closing blocks
  const put = (at: number, text: string) => out.set(enc.encode(text), at);
  const octal = (n: number, width: number) => Math.floor(n).toString(8).padStart(width - 1, '0') + '\0';
  let pos = 0;
  for (const [file, bytes] of entries) {
    const path = `${m.name}/${file}`;
    if (enc.encode(path).byteLength > 99) throw new Error(`the file name "${path}" is too long for a tar archive (99 bytes at most); rename the model`);
    put(pos, path);
    put(pos + 100, '0000644\0');
    put(pos + 108, '0000000\0');
    put(pos + 116, '0000000\0');
    put(pos + 124, octal(bytes.byteLength, 12));
    put(pos + 136, octal(mtime, 12));
    put(pos + 148, '        '); // checksum field counts as spaces while summing
    put(pos + 156, '0');
    put(pos + 257, 'ustar\u000000');
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += out[pos + i];
    put(pos + 148, octal(sum, 7) + ' ');
    out.set(bytes, pos + 512);
    pos += 512 + Math.ceil(bytes.byteLength / 512) * 512;
  }
  return out;
}
