package io.salientstream.stack.junit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Confluent's official JavaScript clients for tests: the project in {@code registry/interop} (its
 * {@code package-lock.json} pins {@code @confluentinc/schemaregistry} and {@code kafkajs}),
 * installed once per build with {@code npm ci} into {@code registry/target/js-interop} and shared
 * by every module's tests, and its scripts run with {@code node}. Tests run in their module's
 * folder, one level below the repository root.
 */
public final class JsInterop {

  private JsInterop() {}

  /**
   * The interop project, copied to {@code registry/target/js-interop} and installed if its lockfile
   * changed.
   */
  public static synchronized Path install() throws IOException, InterruptedException {
    Path root = Path.of("..").toAbsolutePath().normalize();
    Path source = root.resolve("registry").resolve("interop");
    if (!Files.isRegularFile(source.resolve("package-lock.json"))) {
      throw new IllegalStateException(
          "registry/interop not found from "
              + Path.of("").toAbsolutePath()
              + " (run the tests from a module folder of the repository)");
    }
    Path work = root.resolve("registry").resolve("target").resolve("js-interop");
    Files.createDirectories(work);
    try (Stream<Path> files = Files.list(source)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        Files.copy(f, work.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    Path stamp = work.resolve("node_modules").resolve(".installed-lock");
    String lock = Files.readString(work.resolve("package-lock.json"));
    if (!Files.exists(stamp) || !Files.readString(stamp).equals(lock)) {
      long t0 = System.nanoTime();
      run(
          work,
          300,
          List.of("npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--prefer-offline"));
      Files.writeString(stamp, lock);
      System.out.printf("npm ci: %d ms%n", (System.nanoTime() - t0) / 1_000_000);
    }
    return work;
  }

  /**
   * Runs a command in {@code dir} and returns its output (stdout and stderr).
   *
   * @throws AssertionError with the output if it runs past the timeout or exits non-zero
   */
  public static String run(Path dir, int timeoutSeconds, List<String> command)
      throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    StringBuilder output = new StringBuilder();
    Thread reader =
        new Thread(
            () -> {
              try {
                output.append(
                    new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
              } catch (IOException e) {
                output.append(e);
              }
            });
    reader.start();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      reader.join(5000);
      throw new AssertionError(
          String.join(" ", command) + " ran past " + timeoutSeconds + " s:\n" + output);
    }
    reader.join(5000);
    if (p.exitValue() != 0) {
      throw new AssertionError(
          String.join(" ", command) + " exited " + p.exitValue() + ":\n" + output);
    }
    return output.toString();
  }
}
