/**
 * Opens the local result cache of a client: a disk store in the configured folder, keyed for the
 * project around the current directory.
 *
 * @module
 */
import type { TaskRecord } from "../scheduler/scheduler.js"
import { DiskStore } from "./disk-store.js"
import { projectParts, type CachePayload } from "./key.js"
import type { CacheSettings } from "./options.js"
import { ResultCache } from "./result-cache.js"

/** The result cache of a `Client.local({ cache })`. */
export const openLocalCache = <P extends CachePayload>(settings: CacheSettings): Promise<ResultCache<TaskRecord<P>>> =>
  ResultCache.open<TaskRecord<P>>(new DiskStore(settings.dir, settings.maxBytes), projectParts(process.cwd()))
