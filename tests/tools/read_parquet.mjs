// read_parquet.mjs FILE... — an independent Parquet reader for ticklake's tests.
//
// Reads each file with hyparquet (pure JavaScript, shares no code with DuckDB)
// and prints every row as one JSON object on its own line, keys in the file's
// column order. The rendering is stable and exact, so a test can compare it
// byte for byte with what it expects:
//   - DECIMAL: a JSON string with exactly `scale` fraction digits, the way
//     DuckDB's ::VARCHAR prints it ("189.250000", "-0.000001", "5" for scale 0)
//   - TIMESTAMP (any unit, UTC-adjusted or not): a JSON integer, µs since the
//     Unix epoch (millis scaled up; nanos truncated toward minus infinity)
//   - DATE: a JSON integer, days since the epoch
//   - integers (INT32/INT64, any size): JSON integers, exact
//   - FLOAT/DOUBLE: JSON numbers; BOOLEAN: true/false; NULL: null
//   - strings: JSON strings; other byte arrays: lowercase hex JSON strings
// Exits 1 with a message on stderr if a file cannot be read.
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'

// hyparquet turns DECIMAL into a float; we want the exact unscaled integer, so
// we hide the decimal annotation from it and apply the scale ourselves.
function takeDecimalScales(metadata) {
  const scales = new Map()
  for (const el of metadata.schema.slice(1)) {
    if (el.num_children) throw new Error(`nested column ${el.name} is not supported`)
    const isDecimal = el.converted_type === 'DECIMAL' || el.logical_type?.type === 'DECIMAL'
    if (!isDecimal) continue
    scales.set(el.name, el.scale ?? el.logical_type?.scale ?? 0)
    delete el.converted_type
    delete el.logical_type
  }
  return scales
}

function bytesToBigInt(bytes) {
  let v = 0n
  for (const b of bytes) v = (v << 8n) | BigInt(b)
  if (bytes.length && bytes[0] & 0x80) v -= 1n << BigInt(8 * bytes.length) // two's complement
  return v
}

function formatDecimal(raw, scale) {
  let v = raw instanceof Uint8Array ? bytesToBigInt(raw) : BigInt(raw)
  const neg = v < 0n
  if (neg) v = -v
  let digits = v.toString()
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0')
    digits = digits.slice(0, -scale) + '.' + digits.slice(-scale)
  }
  return JSON.stringify((neg ? '-' : '') + digits)
}

function floorDiv(a, b) {
  const q = a / b
  return a % b !== 0n && (a < 0n) !== (b < 0n) ? q - 1n : q
}

// Timestamps stay BigInt (µs) instead of becoming millisecond Dates.
const parsers = {
  timestampFromMilliseconds: (v) => BigInt(v) * 1000n,
  timestampFromMicroseconds: (v) => BigInt(v),
  timestampFromNanoseconds: (v) => floorDiv(BigInt(v), 1000n),
  dateFromDays: (v) => BigInt(v),
}

function render(value, scale) {
  if (value === null || value === undefined) return 'null'
  if (scale !== undefined) return formatDecimal(value, scale)
  if (typeof value === 'bigint') return value.toString()
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') {
    return JSON.stringify(value)
  }
  if (value instanceof Uint8Array) return JSON.stringify(Buffer.from(value).toString('hex'))
  throw new Error(`cannot render value of type ${typeof value}`)
}

async function dump(path) {
  const file = await asyncBufferFromFile(path)
  const metadata = await parquetMetadataAsync(file)
  const scales = takeDecimalScales(metadata)
  const names = metadata.schema.slice(1).map((el) => el.name)
  const keys = names.map((n) => JSON.stringify(n) + ':')
  await parquetRead({
    file,
    metadata,
    compressors,
    parsers,
    rowFormat: 'array',
    onComplete(rows) {
      const out = []
      for (const row of rows) {
        const fields = row.map((v, i) => keys[i] + render(v, scales.get(names[i])))
        out.push('{' + fields.join(',') + '}\n')
      }
      process.stdout.write(out.join(''))
    },
  })
}

const files = process.argv.slice(2)
if (files.length === 0) {
  process.stderr.write('usage: node read_parquet.mjs FILE...\n')
  process.exit(2)
}
try {
  for (const f of files) await dump(f)
} catch (e) {
  process.stderr.write(`read_parquet: ${e.message}\n`)
  process.exit(1)
}
