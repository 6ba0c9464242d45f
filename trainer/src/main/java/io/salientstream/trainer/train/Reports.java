package io.salientstream.trainer.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.salientstream.core.json.JsonNumbers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** JSON run reports. */
public final class Reports {

  /**
   * NaN metrics (e.g. a rank correlation of constant ranks) are written as null ({@link
   * JsonNumbers}).
   */
  private static final ObjectMapper JSON =
      JsonNumbers.mapper().enable(SerializationFeature.INDENT_OUTPUT);

  private Reports() {}

  public static void write(Path file, Object report) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    JSON.writeValue(file.toFile(), report);
  }
}
