package io.salientstream.schemas;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.Incompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;

/**
 * Build-time guard for schema evolution.
 *
 * <p>Every schema {@code <dir>/X.avsc} has a history folder {@code <history>/X/} holding the
 * released versions {@code v1.avsc, v2.avsc, ...}. {@code check} fails when the current schema
 * cannot read data written with the newest released version (Avro BACKWARD compatibility: new
 * reader, old writer), when a schema has no history, or when a history file is unreadable. {@code
 * record} copies each changed schema into its history as the next version, which is how a
 * compatible change is released.
 *
 * <p>Usage: {@code SchemaHistoryCheck check|record <schemaDir> <historyDir>}; the build runs {@code
 * check} in the {@code process-classes} phase of the schemas module.
 */
public final class SchemaHistoryCheck {

  private static final Pattern VERSION_FILE = Pattern.compile("v(\\d+)\\.avsc");

  /** Outcome for one schema file. */
  public record Finding(String schemaFile, boolean ok, String message) {}

  private SchemaHistoryCheck() {}

  public static void main(String[] args) {
    if (args.length != 3 || !(args[0].equals("check") || args[0].equals("record"))) {
      throw new IllegalArgumentException(
          "usage: SchemaHistoryCheck check|record <schemaDir> <historyDir>");
    }
    Path schemaDir = Path.of(args[1]);
    Path historyDir = Path.of(args[2]);
    if (args[0].equals("record")) {
      record(schemaDir, historyDir).forEach(m -> System.out.println("[schemas] " + m));
      return;
    }
    List<Finding> findings = check(schemaDir, historyDir);
    findings.forEach(
        f ->
            System.out.println(
                "[schemas] " + (f.ok() ? "OK   " : "FAIL ") + f.schemaFile() + ": " + f.message()));
    requireCompatible(findings);
  }

  /** Throws, naming every failing schema and why, unless all findings are OK. */
  public static void requireCompatible(List<Finding> findings) {
    List<Finding> failures = findings.stream().filter(f -> !f.ok()).toList();
    if (!failures.isEmpty()) {
      throw new IllegalStateException(
          failures.size()
              + " schema(s) break BACKWARD compatibility or lack history: "
              + failures.stream().map(f -> f.schemaFile() + " (" + f.message() + ")").toList());
    }
  }

  /** Checks every current schema against the newest version in its history. */
  public static List<Finding> check(Path schemaDir, Path historyDir) {
    List<Finding> findings = new ArrayList<>();
    for (Path file : schemaFiles(schemaDir)) {
      String name = baseName(file);
      Schema current;
      try {
        current = parse(file);
      } catch (RuntimeException e) {
        findings.add(
            new Finding(file.getFileName().toString(), false, "cannot parse: " + e.getMessage()));
        continue;
      }
      Optional<Path> latest = latestVersion(historyDir.resolve(name));
      if (latest.isEmpty()) {
        findings.add(
            new Finding(
                file.getFileName().toString(),
                false,
                "no released version under "
                    + historyDir.getFileName()
                    + "/"
                    + name
                    + "/ (run the record step to create v1)"));
        continue;
      }
      Schema released;
      try {
        released = parse(latest.get());
      } catch (RuntimeException e) {
        findings.add(
            new Finding(
                file.getFileName().toString(),
                false,
                "cannot parse history file " + latest.get().getFileName() + ": " + e.getMessage()));
        continue;
      }
      SchemaPairCompatibility result =
          SchemaCompatibility.checkReaderWriterCompatibility(current, released);
      String against = name + "/" + latest.get().getFileName();
      if (result.getType() == SchemaCompatibilityType.COMPATIBLE) {
        String note =
            current.equals(released)
                ? "unchanged since " + against
                : "BACKWARD compatible with " + against + " (not yet recorded)";
        findings.add(new Finding(file.getFileName().toString(), true, note));
      } else {
        StringBuilder why = new StringBuilder("cannot read data written with " + against + ":");
        for (Incompatibility inc : result.getResult().getIncompatibilities()) {
          why.append(' ')
              .append(inc.getType())
              .append(" at ")
              .append(fieldPath(released, inc.getLocation()))
              .append(" — ")
              .append(inc.getMessage())
              .append(';');
        }
        findings.add(new Finding(file.getFileName().toString(), false, why.toString()));
      }
    }
    return findings;
  }

  /** Records every schema that differs from its newest released version as the next version. */
  public static List<String> record(Path schemaDir, Path historyDir) {
    List<Finding> failures =
        check(schemaDir, historyDir).stream()
            .filter(f -> !f.ok() && !f.message().startsWith("no released version"))
            .toList();
    if (!failures.isEmpty()) {
      throw new IllegalStateException("refusing to record incompatible schemas: " + failures);
    }
    List<String> messages = new ArrayList<>();
    for (Path file : schemaFiles(schemaDir)) {
      String name = baseName(file);
      Path dir = historyDir.resolve(name);
      Optional<Path> latest = latestVersion(dir);
      if (latest.isPresent() && parse(latest.get()).equals(parse(file))) {
        continue;
      }
      int next = latest.map(p -> versionOf(p) + 1).orElse(1);
      Path target = dir.resolve("v" + next + ".avsc");
      try {
        Files.createDirectories(dir);
        Files.copy(file, target);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write " + target, e);
      }
      messages.add("recorded " + name + " as v" + next);
    }
    return messages;
  }

  /**
   * Turns Avro's location pointer ({@code /fields/5/type/items/fields/2}) into the field path it
   * names in the released schema ({@code applyAtStep}, {@code matrices[].mask}), keeping the
   * pointer beside it.
   */
  static String fieldPath(Schema schema, String location) {
    StringBuilder path = new StringBuilder();
    Schema cur = schema;
    String[] parts = location.split("/");
    for (int i = 1; i < parts.length && cur != null; i++) {
      switch (parts[i]) {
        case "fields" -> {
          if (i + 1 >= parts.length || cur.getType() != Schema.Type.RECORD) {
            cur = null;
            break;
          }
          Schema.Field f = cur.getFields().get(Integer.parseInt(parts[++i]));
          path.append(path.length() == 0 ? "" : ".").append(f.name());
          cur = f.schema();
        }
        case "items" -> {
          path.append("[]");
          cur = cur.getType() == Schema.Type.ARRAY ? cur.getElementType() : null;
        }
        case "values" -> {
          path.append("{}");
          cur = cur.getType() == Schema.Type.MAP ? cur.getValueType() : null;
        }
        case "type" -> {}
        default -> {
          if (cur.getType() == Schema.Type.UNION && parts[i].matches("\\d+")) {
            cur = cur.getTypes().get(Integer.parseInt(parts[i]));
          }
        }
      }
    }
    return (path.length() == 0 ? "<record>" : path) + " (" + location + ")";
  }

  private static List<Path> schemaFiles(Path schemaDir) {
    try (Stream<Path> files = Files.list(schemaDir)) {
      return files.filter(p -> p.toString().endsWith(".avsc")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list schema folder " + schemaDir, e);
    }
  }

  private static Optional<Path> latestVersion(Path dir) {
    if (!Files.isDirectory(dir)) {
      return Optional.empty();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(p -> VERSION_FILE.matcher(p.getFileName().toString()).matches())
          .max((a, b) -> Integer.compare(versionOf(a), versionOf(b)));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list history folder " + dir, e);
    }
  }

  private static int versionOf(Path file) {
    Matcher m = VERSION_FILE.matcher(file.getFileName().toString());
    if (!m.matches()) {
      throw new IllegalArgumentException("not a history file: " + file);
    }
    return Integer.parseInt(m.group(1));
  }

  private static String baseName(Path file) {
    String n = file.getFileName().toString();
    return n.substring(0, n.length() - ".avsc".length());
  }

  private static Schema parse(Path file) {
    try {
      return new Schema.Parser().parse(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }
}
