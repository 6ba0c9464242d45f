package io.salientstream.registry;

import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.Incompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityResult;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;

/**
 * Compatibility between a new Avro schema and earlier versions, decided by Avro's own {@link
 * SchemaCompatibility} reader/writer rules, under one of Confluent's {@link CompatibilityLevel}s.
 */
public final class AvroCompatibility {
  private AvroCompatibility() {}

  /**
   * Checks {@code candidate} against {@code earlier} (oldest first). Non-transitive levels look at
   * the last element only.
   *
   * @return the incompatibilities found, empty when compatible
   */
  public static List<String> check(
      CompatibilityLevel level, Schema candidate, List<Schema> earlier) {
    List<String> problems = new ArrayList<>();
    if (level == CompatibilityLevel.NONE || earlier.isEmpty()) {
      return problems;
    }
    List<Schema> against = level.transitive ? earlier : List.of(earlier.get(earlier.size() - 1));
    for (Schema old : against) {
      if (level.backward) {
        describe(
            SchemaCompatibility.checkReaderWriterCompatibility(candidate, old).getResult(),
            "new schema cannot read data written with an earlier schema",
            problems);
      }
      if (level.forward) {
        describe(
            SchemaCompatibility.checkReaderWriterCompatibility(old, candidate).getResult(),
            "an earlier schema cannot read data written with the new schema",
            problems);
      }
    }
    return problems;
  }

  private static void describe(
      SchemaCompatibilityResult result, String direction, List<String> out) {
    if (result.getCompatibility() == SchemaCompatibilityType.COMPATIBLE) {
      return;
    }
    for (Incompatibility i : result.getIncompatibilities()) {
      out.add(
          "{errorType:'"
              + i.getType()
              + "', description:'"
              + direction
              + ": "
              + i.getMessage()
              + "', additionalInfo:'"
              + i.getMessage()
              + "', location:'"
              + i.getLocation()
              + "'}");
    }
  }
}
