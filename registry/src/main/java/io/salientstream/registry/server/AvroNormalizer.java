package io.salientstream.registry.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.util.internal.JacksonUtils;

/**
 * Confluent's Avro normalization ({@code normalize=true} on register, lookup and compatibility, and
 * the {@code normalize} config flag), ported from {@code AvroSchemaUtils.toNormalizedString} of
 * Confluent's schema-registry (itself adapted from Avro's {@code SchemaNormalization}): full names
 * instead of namespaces, attributes in a fixed order ({@code name}, {@code type}, then the rest),
 * custom properties sorted by key, aliases sorted, no whitespace, a named type written once and
 * referred to by its full name after.
 */
public final class AvroNormalizer {
  private static final ObjectMapper SORTED =
      new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

  private AvroNormalizer() {}

  /** The normalized text of {@code schema}. */
  public static String normalize(Schema schema) {
    StringBuilder o = new StringBuilder();
    build(new HashMap<>(), schema, o);
    return o.toString();
  }

  private static void build(Map<String, String> env, Schema s, StringBuilder o) {
    boolean first = true;
    Schema.Type st = s.getType();
    LogicalType lt = s.getLogicalType();
    switch (st) {
      case UNION -> {
        o.append('[');
        for (Schema b : s.getTypes()) {
          if (!first) {
            o.append(',');
          }
          first = false;
          build(env, b, o);
        }
        o.append(']');
      }
      case ARRAY, MAP -> {
        o.append("{\"type\":\"").append(st.getName()).append('"');
        if (st == Schema.Type.ARRAY) {
          build(env, s.getElementType(), o.append(",\"items\":"));
        } else {
          build(env, s.getValueType(), o.append(",\"values\":"));
        }
        if (lt != null) {
          logicalProps(o, lt);
        }
        simpleProps(o, s.getObjectProps());
        o.append('}');
      }
      case ENUM, FIXED, RECORD -> {
        String name = s.getFullName();
        if (env.get(name) != null) {
          o.append(env.get(name));
          return;
        }
        String qname = "\"" + name + "\"";
        env.put(name, qname);
        o.append("{\"name\":")
            .append(qname)
            .append(",\"type\":\"")
            .append(st.getName())
            .append('"');
        if (st == Schema.Type.ENUM) {
          o.append(",\"symbols\":[");
          for (String symbol : s.getEnumSymbols()) {
            if (!first) {
              o.append(',');
            }
            first = false;
            o.append('"').append(symbol).append('"');
          }
          o.append(']');
        } else if (st == Schema.Type.FIXED) {
          o.append(",\"size\":").append(s.getFixedSize());
        } else {
          o.append(",\"fields\":[");
          for (Schema.Field f : s.getFields()) {
            if (!first) {
              o.append(',');
            }
            first = false;
            o.append("{\"name\":\"").append(f.name()).append('"');
            build(env, f.schema(), o.append(",\"type\":"));
            fieldProps(o, f);
            o.append('}');
          }
          o.append(']');
        }
        if (lt != null) {
          logicalProps(o, lt);
        }
        if (s.getDoc() != null && !s.getDoc().isEmpty()) {
          o.append(",\"doc\":").append(json(s.getDoc()));
        }
        Set<String> aliases = s.getAliases();
        if (!aliases.isEmpty()) {
          o.append(",\"aliases\":").append(json(new TreeSet<>(aliases)));
        }
        if (st == Schema.Type.ENUM && s.getEnumDefault() != null) {
          o.append(",\"default\":").append(json(s.getEnumDefault()));
        }
        simpleProps(o, s.getObjectProps());
        o.append('}');
      }
      default -> {
        if (lt != null) {
          o.append("{\"type\":\"").append(st.getName()).append('"');
          logicalProps(o, lt);
          simpleProps(o, s.getObjectProps());
          o.append('}');
        } else if (s.hasProps()) {
          o.append("{\"type\":\"").append(st.getName()).append('"');
          simpleProps(o, s.getObjectProps());
          o.append('}');
        } else {
          o.append('"').append(st.getName()).append('"');
        }
      }
    }
  }

  private static void logicalProps(StringBuilder o, LogicalType lt) {
    o.append(",\"")
        .append(LogicalType.LOGICAL_TYPE_PROP)
        .append("\":\"")
        .append(lt.getName())
        .append('"');
    if (lt instanceof LogicalTypes.Decimal d) {
      o.append(",\"precision\":").append(d.getPrecision());
      if (d.getScale() != 0) {
        o.append(",\"scale\":").append(d.getScale());
      }
    }
  }

  private static void simpleProps(StringBuilder o, Map<String, Object> props) {
    for (Map.Entry<String, Object> e : new TreeMap<>(props).entrySet()) {
      o.append(",\"").append(e.getKey()).append("\":").append(json(e.getValue()));
    }
  }

  private static void fieldProps(StringBuilder o, Schema.Field f) {
    if (f.order() != null) {
      o.append(",\"order\":\"").append(f.order()).append('"');
    }
    if (f.doc() != null) {
      o.append(",\"doc\":").append(json(f.doc()));
    }
    if (!f.aliases().isEmpty()) {
      o.append(",\"aliases\":").append(json(new TreeSet<>(f.aliases())));
    }
    if (f.defaultVal() != null) {
      o.append(",\"default\":").append(json(f.defaultVal()));
    }
    simpleProps(o, f.getObjectProps());
  }

  /**
   * JSON of an Avro property or default value, object keys sorted (as Confluent's ordered mapper
   * writes it).
   */
  private static String json(Object datum) {
    JsonNode node = JacksonUtils.toJsonNode(datum);
    try {
      return SORTED.writeValueAsString(SORTED.treeToValue(node, Object.class));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
