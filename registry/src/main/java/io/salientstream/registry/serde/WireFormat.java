package io.salientstream.registry.serde;

import java.nio.ByteBuffer;

/** Confluent's wire format: {@code 0x00 | schema id (4 bytes, big-endian) | Avro binary body}. */
public final class WireFormat {
  public static final byte MAGIC_BYTE = 0x0;
  public static final int HEADER_SIZE = 5;

  private WireFormat() {}

  /** Frames an Avro binary body written with schema {@code schemaId}. */
  public static byte[] frame(int schemaId, byte[] avroBody) {
    return ByteBuffer.allocate(HEADER_SIZE + avroBody.length)
        .put(MAGIC_BYTE)
        .putInt(schemaId)
        .put(avroBody)
        .array();
  }

  /**
   * Reads the header of a framed record.
   *
   * @return the schema id
   * @throws WireFormatException naming topic, partition and offset when the header is missing or
   *     wrong
   */
  public static int schemaId(String topic, int partition, long offset, byte[] bytes) {
    if (bytes.length == 0 || (bytes[0] == MAGIC_BYTE && bytes.length < HEADER_SIZE)) {
      throw new WireFormatException(
          WireFormatException.Reason.TRUNCATED,
          topic,
          partition,
          offset,
          -1,
          bytes.length + " bytes, shorter than the " + HEADER_SIZE + "-byte header",
          null);
    }
    if (bytes[0] != MAGIC_BYTE) {
      throw new WireFormatException(
          WireFormatException.Reason.BAD_MAGIC_BYTE,
          topic,
          partition,
          offset,
          -1,
          String.format(
              "first byte 0x%02x, expected magic byte 0x00 (not written by a schema-registry "
                  + "serializer?)",
              bytes[0] & 0xff),
          null);
    }
    return ByteBuffer.wrap(bytes, 1, 4).getInt();
  }
}
