package io.salientstream.core.json;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import java.io.IOException;

/**
 * One convention for numbers that are not finite in every JSON file SalientStream writes: NaN and
 * ±Infinity are written as {@code null} (plain JSON has no such numbers; Jackson's default would
 * write the strings "NaN" and "Infinity", which other readers take for text), and read back as NaN
 * wherever a number may be missing. A fully pruned matrix, for example, has NaN salience scores in
 * the reference mode; a rank correlation of constant ranks is NaN.
 */
public final class JsonNumbers {

  private JsonNumbers() {}

  /**
   * A new mapper that writes non-finite doubles and floats (boxed, primitive, in arrays) as {@code
   * null}.
   */
  public static ObjectMapper mapper() {
    SimpleModule m = new SimpleModule("non-finite-as-null");
    JsonSerializer<Double> d =
        new JsonSerializer<>() {
          @Override
          public void serialize(Double v, JsonGenerator g, SerializerProvider p)
              throws IOException {
            writeDouble(g, v);
          }
        };
    JsonSerializer<Float> f =
        new JsonSerializer<>() {
          @Override
          public void serialize(Float v, JsonGenerator g, SerializerProvider p) throws IOException {
            if (Float.isFinite(v)) {
              g.writeNumber(v);
            } else {
              g.writeNull();
            }
          }
        };
    m.addSerializer(Double.class, d);
    m.addSerializer(Double.TYPE, d);
    m.addSerializer(Float.class, f);
    m.addSerializer(Float.TYPE, f);
    m.addSerializer(
        double[].class,
        new JsonSerializer<>() {
          @Override
          public void serialize(double[] a, JsonGenerator g, SerializerProvider p)
              throws IOException {
            g.writeStartArray(a, a.length);
            for (double v : a) {
              writeDouble(g, v);
            }
            g.writeEndArray();
          }
        });
    m.addSerializer(
        float[].class,
        new JsonSerializer<>() {
          @Override
          public void serialize(float[] a, JsonGenerator g, SerializerProvider p)
              throws IOException {
            g.writeStartArray(a, a.length);
            for (float v : a) {
              if (Float.isFinite(v)) {
                g.writeNumber(v);
              } else {
                g.writeNull();
              }
            }
            g.writeEndArray();
          }
        });
    return new ObjectMapper().registerModule(m);
  }

  private static void writeDouble(JsonGenerator g, double v) throws IOException {
    if (Double.isFinite(v)) {
      g.writeNumber(v);
    } else {
      g.writeNull();
    }
  }

  /**
   * A number that may be NaN: {@code null} (how this project writes NaN) and the strings "NaN",
   * "Infinity" and "-Infinity" (how Jackson writes them by default, so older files still read) give
   * the non-finite value; any other number gives itself.
   *
   * @throws IllegalArgumentException naming {@code where} if the node is neither
   */
  public static double nullableNumber(JsonNode v, String where) {
    if (v == null || v.isNull()) {
      return Double.NaN;
    }
    if (v.isNumber()) {
      return v.doubleValue();
    }
    if (v.isTextual()) {
      switch (v.textValue()) {
        case "NaN":
          return Double.NaN;
        case "Infinity":
          return Double.POSITIVE_INFINITY;
        case "-Infinity":
          return Double.NEGATIVE_INFINITY;
        default:
          break;
      }
    }
    throw new IllegalArgumentException("field '" + where + "' must be a number or null, got " + v);
  }
}
