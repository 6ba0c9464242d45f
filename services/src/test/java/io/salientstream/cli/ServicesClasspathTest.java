package io.salientstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The services launcher runs without the trainer's heavy parts: its runtime classpath (written by
 * the build to {@code target/services-classpath.txt} before the tests, the same scope {@code
 * target/lib} is copied with) holds no DJL/libtorch jar and no model jar (langchain4j embeddings,
 * extjwnl WordNet, onnxruntime).
 */
class ServicesClasspathTest {

  static final Path CLASSPATH_FILE = Path.of("target", "services-classpath.txt");

  /** Path fragments (group folders in the local repository, or jar names) of what must stay out. */
  static final List<String> FORBIDDEN =
      List.of(
          "/ai/djl/",
          "pytorch",
          "/dev/langchain4j/",
          "langchain4j",
          "/net/sf/extjwnl/",
          "extjwnl",
          "onnxruntime",
          "salientstream-trainer");

  static List<String> runtimeClasspath() throws Exception {
    assertThat(CLASSPATH_FILE)
        .as("written by dependency:build-classpath in generate-test-resources")
        .exists();
    String text = Files.readString(CLASSPATH_FILE).trim();
    return Arrays.stream(text.split(File.pathSeparator))
        .filter(s -> !s.isBlank())
        .map(s -> s.replace(File.separatorChar, '/'))
        .toList();
  }

  @Test
  void runtimeClasspathHoldsNoDjlAndNoModelJar() throws Exception {
    List<String> jars = runtimeClasspath();
    // not vacuous: the Streams apps and their Kafka Streams are there
    assertThat(jars).anyMatch(j -> j.contains("kafka-streams"));
    assertThat(jars).anyMatch(j -> j.contains("salientstream-salience-analyzer"));
    assertThat(jars).anyMatch(j -> j.contains("salientstream-pruner"));
    assertThat(jars).anyMatch(j -> j.contains("salientstream-dashboard"));
    assertThat(jars).anyMatch(j -> j.contains("uplot"));
    for (String jar : jars) {
      String lower = jar.toLowerCase(Locale.ROOT);
      assertThat(FORBIDDEN).as("services classpath entry %s", jar).noneMatch(lower::contains);
    }
  }

  @Test
  void servicesLauncherListsItsCommands() {
    CommandLine cl = ServicesCli.commandLine();
    StringWriter out = new StringWriter();
    cl.setOut(new PrintWriter(out));
    assertThat(cl.execute("--help")).isZero();
    for (String cmd :
        new String[] {"local", "broker", "registry", "topics", "analyzer", "pruner", "dashboard"}) {
      assertThat(out.toString()).contains("  " + cmd + " ");
    }
    assertThat(out.toString()).doesNotContain("  demo ").doesNotContain("  train ");
  }

  @Test
  void badArgumentsExitWithTwo() {
    CommandLine cl = ServicesCli.commandLine();
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err));
    assertThat(cl.execute("analyzer", "--http-port", "not-a-port")).isEqualTo(2);
    assertThat(err.toString()).contains("salientstream-services:");
  }

  /** The broker and registry commands of the container images refuse bad ports before starting. */
  @Test
  void brokerAndRegistryRefuseBadPortsNamingTheOption() {
    StringWriter err = new StringWriter();
    CommandLine cl = ServicesCli.commandLine();
    cl.setErr(new PrintWriter(err));
    assertThat(cl.execute("broker", "--kafka-port", "70000", "--data-dir", "target/never-used"))
        .isEqualTo(2);
    assertThat(err.toString()).contains("--kafka-port 70000 is out of range");
    assertThat(cl.execute("broker", "--controller-port", "0", "--data-dir", "target/never-used"))
        .isEqualTo(2);
    assertThat(err.toString()).contains("need fixed ports");
    assertThat(cl.execute("registry", "--http-port", "-1")).isEqualTo(2);
    assertThat(err.toString()).contains("--http-port -1 is out of range");
  }
}
