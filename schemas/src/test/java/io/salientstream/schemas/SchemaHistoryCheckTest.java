package io.salientstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The build's BACKWARD-compatibility gate, exercised on copies of the real schemas. */
class SchemaHistoryCheckTest {

  private static final Path SCHEMAS = Path.of("src/main/avro");
  private static final Path HISTORY = Path.of("history");

  @TempDir Path tmp;
  Path schemaDir;
  Path historyDir;

  @BeforeEach
  void copyRealSchemas() throws IOException {
    schemaDir = tmp.resolve("avro");
    historyDir = tmp.resolve("history");
    copyTree(SCHEMAS, schemaDir);
    copyTree(HISTORY, historyDir);
  }

  @Test
  void repositorySchemasAreCompatibleWithTheirHistory() {
    List<SchemaHistoryCheck.Finding> findings = SchemaHistoryCheck.check(SCHEMAS, HISTORY);
    assertThat(findings).hasSize(6).allMatch(SchemaHistoryCheck.Finding::ok);
  }

  @Test
  void addingARequiredFieldBreaksTheBuild() throws IOException {
    edit(
        "SingularValueStep.avsc",
        "\"fields\": [",
        "\"fields\": [\n    {\"name\": \"gpuId\", \"type\": \"int\", \"doc\": \"new, no default\"},");

    List<SchemaHistoryCheck.Finding> failures = failures();

    assertThat(failures)
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.schemaFile()).isEqualTo("SingularValueStep.avsc");
              assertThat(f.message()).contains("READER_FIELD_MISSING_DEFAULT").contains("gpuId");
            });
    assertThatThrownBy(
            () ->
                SchemaHistoryCheck.requireCompatible(
                    SchemaHistoryCheck.check(schemaDir, historyDir)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("SingularValueStep.avsc");
  }

  @Test
  void changingAFieldTypeBreaksTheBuild() throws IOException {
    edit(
        "RankPruneCommand.avsc",
        "{\"name\": \"applyAtStep\", \"type\": \"long\"",
        "{\"name\": \"applyAtStep\", \"type\": \"string\"");

    assertThat(failures())
        .singleElement()
        .satisfies(f -> assertThat(f.message()).contains("TYPE_MISMATCH").contains("applyAtStep"));
  }

  @Test
  void renamingARequiredFieldBreaksTheBuild() throws IOException {
    edit("DeadLetter.avsc", "\"name\": \"errorClass\"", "\"name\": \"errorType\"");

    assertThat(failures())
        .singleElement()
        .satisfies(
            f ->
                assertThat(f.message())
                    .contains("READER_FIELD_MISSING_DEFAULT_VALUE")
                    .contains("errorType"));
  }

  @Test
  void enumsDeclareDefaultsSoASymbolCanBeRetired() throws IOException {
    // every enum carries a default symbol: data written with a removed symbol reads as the default
    edit("DeadLetter.avsc", "\"STALE_EPOCH\", ", "");

    assertThat(failures()).isEmpty();
  }

  @Test
  void addingAnOptionalFieldWithDefaultPassesAndCanBeRecorded() throws IOException {
    edit(
        "TrainerStatus.avsc",
        "\"fields\": [",
        "\"fields\": [\n    {\"name\": \"host\", \"type\": [\"null\", \"string\"], \"default\": null, \"doc\": \"new optional\"},");

    assertThat(failures()).isEmpty();
    assertThat(SchemaHistoryCheck.record(schemaDir, historyDir))
        .containsExactly("recorded TrainerStatus as v2");
    assertThat(historyDir.resolve("TrainerStatus/v2.avsc")).exists();
    // once recorded, a later change is checked against v2, and removing the default is now a break
    edit(
        "TrainerStatus.avsc",
        "[\"null\", \"string\"], \"default\": null, \"doc\": \"new optional\"",
        "\"string\", \"doc\": \"now required\"");
    assertThat(failures())
        .singleElement()
        .satisfies(f -> assertThat(f.message()).contains("TrainerStatus/v2.avsc"));
  }

  @Test
  void aSchemaWithoutHistoryFails() throws IOException {
    Files.writeString(
        schemaDir.resolve("Brand.avsc"),
        "{\"type\":\"record\",\"name\":\"Brand\",\"namespace\":\"x\",\"fields\":[]}");
    assertThat(failures())
        .singleElement()
        .satisfies(f -> assertThat(f.message()).contains("no released version"));
  }

  @Test
  void recordRefusesIncompatibleSchemas() throws IOException {
    edit(
        "RankPruneCommand.avsc",
        "{\"name\": \"applyAtStep\", \"type\": \"long\"",
        "{\"name\": \"applyAtStep\", \"type\": \"string\"");
    assertThatThrownBy(() -> SchemaHistoryCheck.record(schemaDir, historyDir))
        .hasMessageContaining("RankPruneCommand");
  }

  private List<SchemaHistoryCheck.Finding> failures() {
    return SchemaHistoryCheck.check(schemaDir, historyDir).stream().filter(f -> !f.ok()).toList();
  }

  private void edit(String file, String from, String to) throws IOException {
    Path p = schemaDir.resolve(file);
    String s = Files.readString(p);
    assertThat(s).as("test fixture must contain the text it edits").contains(from);
    int at = s.indexOf(from);
    Files.writeString(p, s.substring(0, at) + to + s.substring(at + from.length()));
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> paths = Files.walk(from)) {
      for (Path p : paths.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }
}
