/**
 * A minimal protocol-buffers writer: just what the ONNX messages need (varint, length-delimited,
 * fixed32 floats). Fields are written in the order given; repeated scalars unpacked (ONNX's
 * onnx.proto is proto2, whose parsers accept both forms).
 */

/** Wire types of the protobuf encoding. */
const VARINT = 0;
const FIXED32 = 5;
const LENGTH_DELIMITED = 2;

const utf8 = new TextEncoder();

/** One message under construction; `bytes()` returns its encoding. */
export class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private length = 0;

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.length += bytes.length;
  }

  private varint(value: number | bigint): void {
    // int64 fields: negative numbers are 10-byte two's complement varints.
    let v = BigInt.asUintN(64, BigInt(value));
    const out: number[] = [];
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) byte |= 0x80;
      out.push(byte);
    } while (v !== 0n);
    this.push(Uint8Array.from(out));
  }

  private tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  /** int32 / int64 / enum / bool. */
  int(field: number, value: number | bigint): this {
    this.tag(field, VARINT);
    this.varint(value);
    return this;
  }

  ints(field: number, values: readonly number[]): this {
    for (const v of values) this.int(field, v);
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, FIXED32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, LENGTH_DELIMITED);
    this.varint(value.length);
    this.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, utf8.encode(value));
  }

  strings(field: number, values: readonly string[]): this {
    for (const v of values) this.string(field, v);
    return this;
  }

  message(field: number, sub: ProtoWriter): this {
    return this.bytes(field, sub.finish());
  }

  messages(field: number, subs: readonly ProtoWriter[]): this {
    for (const s of subs) this.message(field, s);
    return this;
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const c of this.chunks) {
      out.set(c, offset);
      offset += c.length;
    }
    return out;
  }
}
