/**
 * Opens the local result cache of a client: a disk store in the configured folder, keyed for the
 * project around the current directory.
 *
 * @module
 */
import { DiskStore } from "./disk-store.js"
import { projectParts, type CacheRecord } from "./key.js"
import type { CacheSettings } from "./options.js"
import { ResultCache } from "./result-cache.js"

/** The result cache of a `Client.local({ cache })`. */
export const openLocalCache = <R extends CacheRecord>(settings: CacheSettings): Promise<ResultCache<R>> =>
  ResultCache.open<R>(new DiskStore(settings.dir, settings.maxBytes), projectParts(process.cwd()))
