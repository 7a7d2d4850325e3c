/**
 * Key tokens that are not hashes.
 *
 * @module
 */
import { randomUUID } from "node:crypto"

/** 32 random lowercase hex characters: the token of an impure call (`${name}-${token}`). */
export const randomKeyToken = (): string => randomUUID().replace(/-/g, "")
