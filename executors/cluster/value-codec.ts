/**
 * The bytes of a value in Redis: `node:v8`'s serialization (structured-clone semantics), with a
 * fast path for the commonest results, numbers, booleans, null, undefined and one-byte strings.
 * `v8.serialize` and `v8.deserialize` build a (de)serializer object per call, which costs several
 * µs: as much as the rest of a trivial task's path through the cluster. The fast path writes and
 * reads the very bytes V8 uses for these values (its header, then one tag), so either side may
 * use `node:v8` on them and get the same value; anything else goes through `node:v8`.
 *
 * @internal
 */
import { deserialize, serialize } from "node:v8"

/** V8's serialization header: 0xFF and its format version (15 on Node 20; read, not assumed). */
const header = serialize(null).subarray(0, 2)
const [h0, h1] = [header[0]!, header[1]!]

// The tags V8 writes for these values (v8/src/objects/value-serializer.cc).
const tagInt32 = 0x49 // "I": zigzag varint
const tagDouble = 0x4e // "N": float64, little-endian
const tagOneByteString = 0x22 // '"': varint length, Latin-1 bytes
const tagTrue = 0x54
const tagFalse = 0x46
const tagNull = 0x30
const tagUndefined = 0x5f

const oneByte = /^[\x00-\xff]*$/

/** `v8.serialize(value)`, faster for primitives; `v8.deserialize` reads it back. */
export function encodeValue(value: unknown): Buffer {
  switch (typeof value) {
    case "number":
      return encodeNumber(value)
    case "boolean":
      return tagged(value ? tagTrue : tagFalse)
    case "undefined":
      return tagged(tagUndefined)
    case "string":
      if (value.length <= 4096 && oneByte.test(value)) {
        const head = varintLength(value.length)
        const out = Buffer.allocUnsafe(3 + head + value.length)
        out[0] = h0
        out[1] = h1
        out[2] = tagOneByteString
        writeVarint(out, 3, value.length)
        out.write(value, 3 + head, "latin1")
        return out
      }
      return serialize(value)
    default:
      return value === null ? tagged(tagNull) : serialize(value)
  }
}

/** `v8.deserialize(bytes)`, faster for what `encodeValue` (or V8) wrote for a primitive. */
export function decodeValue(bytes: Buffer): unknown {
  if (bytes.length >= 3 && bytes[0] === h0 && bytes[1] === h1) {
    const tag = bytes[2]
    const n = bytes.length
    if (n === 3) {
      if (tag === tagTrue) return true
      if (tag === tagFalse) return false
      if (tag === tagNull) return null
      if (tag === tagUndefined) return undefined
    } else if (tag === tagDouble && n === 11) return bytes.readDoubleLE(3)
    else if (tag === tagInt32) {
      const [raw, end] = readVarint(bytes, 3)
      if (end === n) return (raw >>> 1) ^ -(raw & 1)
    } else if (tag === tagOneByteString) {
      const [length, start] = readVarint(bytes, 3)
      if (start + length === n) return bytes.toString("latin1", start, n)
    }
  }
  return deserialize(bytes)
}

function encodeNumber(value: number): Buffer {
  if (Number.isInteger(value) && value >= -0x40000000 && value < 0x40000000 && !Object.is(value, -0)) {
    const zigzag = ((value << 1) ^ (value >> 31)) >>> 0
    const out = Buffer.allocUnsafe(3 + varintLength(zigzag))
    out[0] = h0
    out[1] = h1
    out[2] = tagInt32
    writeVarint(out, 3, zigzag)
    return out
  }
  const out = Buffer.allocUnsafe(11)
  out[0] = h0
  out[1] = h1
  out[2] = tagDouble
  out.writeDoubleLE(value, 3)
  return out
}

function tagged(tag: number): Buffer {
  const out = Buffer.allocUnsafe(3)
  out[0] = h0
  out[1] = h1
  out[2] = tag
  return out
}

function varintLength(n: number): number {
  let length = 1
  while (n >= 0x80) {
    n = Math.floor(n / 0x80)
    length++
  }
  return length
}

function writeVarint(out: Buffer, at: number, n: number): void {
  while (n >= 0x80) {
    out[at++] = (n & 0x7f) | 0x80
    n = Math.floor(n / 0x80)
  }
  out[at] = n
}

/** [value, index after it]; a varint over 32 bits gives an index past the end (not ours: V8 decodes it). */
function readVarint(bytes: Buffer, at: number): [number, number] {
  let value = 0
  let shift = 0
  for (let i = at; i < bytes.length && shift < 35; i++) {
    const byte = bytes[i]!
    value += (byte & 0x7f) * 2 ** shift
    shift += 7
    if (byte < 0x80) return [value > 0xffffffff ? -1 : value, value > 0xffffffff ? bytes.length + 1 : i + 1]
  }
  return [-1, bytes.length + 1]
}
