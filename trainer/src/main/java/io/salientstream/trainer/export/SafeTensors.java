package io.salientstream.trainer.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The safetensors format, float32 only: an 8-byte little-endian header length, a JSON header
 * mapping each tensor name to {@code {"dtype":"F32","shape":[..],"data_offsets":[begin,end]}} (plus
 * optional {@code __metadata__} of strings), padded with spaces to a multiple of 8 bytes, then the
 * raw little-endian data.
 */
public final class SafeTensors {

  /** A float32 tensor, row-major. */
  public record Tensor(long[] shape, float[] data) {}

  private static final ObjectMapper JSON = new ObjectMapper();

  private SafeTensors() {}

  public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata)
      throws IOException {
    ObjectNode header = JSON.createObjectNode();
    if (metadata != null && !metadata.isEmpty()) {
      ObjectNode meta = header.putObject("__metadata__");
      metadata.forEach(meta::put);
    }
    long offset = 0;
    for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
      Tensor t = e.getValue();
      long n = 1;
      for (long d : t.shape()) {
        n *= d;
      }
      if (n != t.data().length) {
        throw new IllegalArgumentException(
            "tensor " + e.getKey() + ": shape holds " + n + " values, data has " + t.data().length);
      }
      ObjectNode node = header.putObject(e.getKey());
      node.put("dtype", "F32");
      var shape = node.putArray("shape");
      for (long d : t.shape()) {
        shape.add(d);
      }
      node.putArray("data_offsets").add(offset).add(offset + 4L * t.data().length);
      offset += 4L * t.data().length;
    }
    byte[] h = JSON.writeValueAsBytes(header);
    int padded = (h.length + 7) / 8 * 8;
    byte[] headerBytes = new byte[padded];
    System.arraycopy(h, 0, headerBytes, 0, h.length);
    for (int i = h.length; i < padded; i++) {
      headerBytes[i] = ' ';
    }
    Files.createDirectories(file.toAbsolutePath().getParent());
    try (OutputStream out = Files.newOutputStream(file)) {
      out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
      out.write(headerBytes);
      for (Tensor t : tensors.values()) {
        ByteBuffer b = ByteBuffer.allocate(4 * t.data().length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(t.data());
        out.write(b.array());
      }
    }
  }

  public static Map<String, Tensor> read(Path file) throws IOException {
    byte[] all = Files.readAllBytes(file);
    ByteBuffer buf = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
    long headerLen = buf.getLong();
    if (headerLen < 2 || headerLen > all.length - 8) {
      throw new IOException(file + ": not a safetensors file (header length " + headerLen + ")");
    }
    JsonNode header = JSON.readTree(new String(all, 8, (int) headerLen, StandardCharsets.UTF_8));
    long base = 8 + headerLen;
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getKey().equals("__metadata__")) {
        continue;
      }
      JsonNode t = e.getValue();
      if (!"F32".equals(t.get("dtype").asText())) {
        throw new IOException(
            file
                + ": tensor "
                + e.getKey()
                + " has dtype "
                + t.get("dtype")
                + ", only F32 is read");
      }
      long[] shape = new long[t.get("shape").size()];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = t.get("shape").get(i).asLong();
      }
      long begin = t.get("data_offsets").get(0).asLong();
      long end = t.get("data_offsets").get(1).asLong();
      float[] data = new float[(int) ((end - begin) / 4)];
      ByteBuffer.wrap(all, (int) (base + begin), (int) (end - begin))
          .order(ByteOrder.LITTLE_ENDIAN)
          .asFloatBuffer()
          .get(data);
      out.put(e.getKey(), new Tensor(shape, data));
    }
    return out;
  }

  /** The {@code __metadata__} strings of a file (empty if none). */
  public static Map<String, String> metadata(Path file) throws IOException {
    byte[] all = Files.readAllBytes(file);
    long headerLen = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN).getLong();
    JsonNode meta =
        JSON.readTree(new String(all, 8, (int) headerLen, StandardCharsets.UTF_8))
            .get("__metadata__");
    Map<String, String> out = new LinkedHashMap<>();
    if (meta != null) {
      meta.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
    }
    return out;
  }
}
