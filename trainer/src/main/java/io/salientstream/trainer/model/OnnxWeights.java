package io.salientstream.trainer.model;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the float32 initializers of a BERT ONNX export with a minimal protobuf wire-format reader
 * (JDK only) and gives them their HuggingFace names.
 *
 * <p>Fields used: ModelProto.graph = 7; GraphProto.node = 1, initializer = 5; NodeProto.input = 1,
 * name = 3, op_type = 4; TensorProto.dims = 1, data_type = 2, float_data = 4, name = 8, raw_data =
 * 9. Linear weights are exported as anonymous {@code onnx::MatMul_NNN} tensors stored [in, out];
 * each is named after the MatMul node that consumes it ({@code
 * /encoder/layer.0/attention/self/query/MatMul} → {@code
 * encoder.layer.0.attention.self.query.weight}) and transposed to PyTorch's [out, in].
 */
public final class OnnxWeights {

  /** A dense float32 tensor in row-major order. */
  public record Tensor(long[] shape, float[] data) {
    public int rows() {
      return (int) shape[0];
    }

    public int cols() {
      return shape.length > 1 ? (int) shape[1] : 1;
    }

    Tensor transpose2d() {
      int r = rows();
      int c = cols();
      float[] t = new float[data.length];
      for (int i = 0; i < r; i++) {
        for (int j = 0; j < c; j++) {
          t[j * r + i] = data[i * c + j];
        }
      }
      return new Tensor(new long[] {c, r}, t);
    }
  }

  private static final int FLOAT = 1;

  private OnnxWeights() {}

  /** Reads a classpath resource (e.g. {@code /all-minilm-l6-v2.onnx}). */
  public static Map<String, Tensor> readResource(String resource) throws IOException {
    try (InputStream in = OnnxWeights.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IOException(
            "ONNX model "
                + resource
                + " not found on the classpath (is the model jar a dependency?)");
      }
      return parse(in.readAllBytes());
    }
  }

  /**
   * Parses a serialized ModelProto and returns the float initializers keyed by HuggingFace
   * parameter name.
   */
  public static Map<String, Tensor> parse(byte[] model) {
    ByteBuffer graph = null;
    Reader top = new Reader(ByteBuffer.wrap(model));
    while (top.hasMore()) {
      int tag = top.tag();
      if ((tag >>> 3) == 7 && (tag & 7) == 2) {
        graph = top.bytes();
      } else {
        top.skip(tag);
      }
    }
    if (graph == null) {
      throw new IllegalArgumentException("not an ONNX model: no graph (field 7)");
    }
    Map<String, Tensor> raw = new LinkedHashMap<>();
    Map<String, String> matmulOwner = new HashMap<>();
    Reader g = new Reader(graph);
    while (g.hasMore()) {
      int tag = g.tag();
      int field = tag >>> 3;
      if (field == 5 && (tag & 7) == 2) {
        readTensor(g.bytes(), raw);
      } else if (field == 1 && (tag & 7) == 2) {
        readNode(g.bytes(), matmulOwner);
      } else {
        g.skip(tag);
      }
    }
    Map<String, Tensor> named = new LinkedHashMap<>();
    for (Map.Entry<String, Tensor> e : raw.entrySet()) {
      String name = e.getKey();
      String owner = matmulOwner.get(name);
      if (owner != null) {
        named.put(owner, e.getValue().transpose2d());
      } else if (!name.startsWith("onnx::")) {
        named.put(name, e.getValue());
      }
    }
    return named;
  }

  private static void readTensor(ByteBuffer buf, Map<String, Tensor> out) {
    Reader r = new Reader(buf);
    List<Long> dims = new ArrayList<>();
    int dataType = 0;
    String name = null;
    ByteBuffer rawData = null;
    List<Float> floatData = new ArrayList<>();
    while (r.hasMore()) {
      int tag = r.tag();
      int field = tag >>> 3;
      int wire = tag & 7;
      switch (field) {
        case 1 -> {
          if (wire == 2) {
            Reader packed = new Reader(r.bytes());
            while (packed.hasMore()) {
              dims.add(packed.varint());
            }
          } else {
            dims.add(r.varint());
          }
        }
        case 2 -> dataType = (int) r.varint();
        case 4 -> {
          if (wire == 2) {
            ByteBuffer p = r.bytes().order(ByteOrder.LITTLE_ENDIAN);
            while (p.hasRemaining()) {
              floatData.add(p.getFloat());
            }
          } else {
            floatData.add(Float.intBitsToFloat(r.fixed32()));
          }
        }
        case 8 -> name = StandardCharsets.UTF_8.decode(r.bytes()).toString();
        case 9 -> rawData = r.bytes();
        default -> r.skip(tag);
      }
    }
    if (dataType != FLOAT || name == null) {
      return; // int64 position_ids and the like are not weights
    }
    long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    float[] data = new float[Math.toIntExact(n)];
    if (rawData != null) {
      rawData.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data);
    } else {
      for (int i = 0; i < data.length; i++) {
        data[i] = floatData.get(i);
      }
    }
    out.put(name, new Tensor(shape, data));
  }

  private static void readNode(ByteBuffer buf, Map<String, String> matmulOwner) {
    Reader r = new Reader(buf);
    List<String> inputs = new ArrayList<>();
    String name = null;
    String op = null;
    while (r.hasMore()) {
      int tag = r.tag();
      switch (tag >>> 3) {
        case 1 -> inputs.add(StandardCharsets.UTF_8.decode(r.bytes()).toString());
        case 3 -> name = StandardCharsets.UTF_8.decode(r.bytes()).toString();
        case 4 -> op = StandardCharsets.UTF_8.decode(r.bytes()).toString();
        default -> r.skip(tag);
      }
    }
    if ("MatMul".equals(op)
        && name != null
        && inputs.size() == 2
        && inputs.get(1).startsWith("onnx::MatMul")) {
      // "/encoder/layer.0/attention/self/query/MatMul" ->
      // "encoder.layer.0.attention.self.query.weight"
      String path = name.startsWith("/") ? name.substring(1) : name;
      path = path.substring(0, path.lastIndexOf('/'));
      matmulOwner.put(inputs.get(1), path.replace('/', '.') + ".weight");
    }
  }

  /** Protobuf wire-format cursor over one message. */
  private static final class Reader {
    private final ByteBuffer buf;

    Reader(ByteBuffer buf) {
      this.buf = buf.slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    boolean hasMore() {
      return buf.hasRemaining();
    }

    int tag() {
      return (int) varint();
    }

    long varint() {
      long result = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        byte b = buf.get();
        result |= (long) (b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
          return result;
        }
      }
      throw new IllegalArgumentException("malformed varint at byte " + buf.position());
    }

    int fixed32() {
      return buf.getInt();
    }

    ByteBuffer bytes() {
      int len = Math.toIntExact(varint());
      ByteBuffer slice = buf.slice(buf.position(), len);
      buf.position(buf.position() + len);
      return slice;
    }

    void skip(int tag) {
      switch (tag & 7) {
        case 0 -> varint();
        case 1 -> buf.position(buf.position() + 8);
        case 2 -> bytes();
        case 5 -> buf.position(buf.position() + 4);
        default ->
            throw new IllegalArgumentException("unsupported protobuf wire type " + (tag & 7));
      }
    }
  }
}
