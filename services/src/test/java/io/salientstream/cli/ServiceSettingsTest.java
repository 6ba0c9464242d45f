package io.salientstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.salientstream.pruner.PrunerTopology;
import io.salientstream.streams.LayeredConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The analyzer's and pruner's {@code salientstream.*} settings reach the apps from every layer —
 * properties file, environment, flag — with the flag winning, and both apps read the same resume
 * setting.
 */
class ServiceSettingsTest {

  @TempDir Path tmp;

  private static ServicesCommands.Analyzer analyzer(String... args) {
    ServicesCommands.Analyzer a = new ServicesCommands.Analyzer();
    new CommandLine(a).parseArgs(args);
    return a;
  }

  private static ServicesCommands.PrunerCmd pruner(String... args) {
    ServicesCommands.PrunerCmd p = new ServicesCommands.PrunerCmd();
    new CommandLine(p).parseArgs(args);
    return p;
  }

  /** What the apps read from the config map the command hands them. */
  private static int appResumeSnapshots(LayeredConfig cfg) {
    return LayeredConfig.resumeSnapshots(ServicesCommands.serdeConfig(cfg));
  }

  @Test
  void resumeSnapshotsFromTheFileTheEnvironmentAndTheFlag() throws Exception {
    Path file = tmp.resolve("loop.properties");
    Files.writeString(file, LayeredConfig.RESUME_SNAPSHOTS + "=3\n");
    String env = "SALIENTSTREAM_ANALYZER_RESUME_SNAPSHOTS";

    assertThat(appResumeSnapshots(analyzer().settings(Map.of()))).isEqualTo(1);
    assertThat(appResumeSnapshots(analyzer("--config", file.toString()).settings(Map.of())))
        .isEqualTo(3);
    assertThat(
            appResumeSnapshots(
                analyzer().settings(Map.of("SALIENTSTREAM_CONFIG", file.toString()))))
        .isEqualTo(3);
    assertThat(appResumeSnapshots(analyzer("--config", file.toString()).settings(Map.of(env, "5"))))
        .isEqualTo(5);
    assertThat(
            appResumeSnapshots(
                analyzer("--config", file.toString(), "--resume-snapshots", "7")
                    .settings(Map.of(env, "5"))))
        .isEqualTo(7);
    assertThat(analyzer().settings(Map.of(env, "5")).originOf(LayeredConfig.RESUME_SNAPSHOTS))
        .isEqualTo("env " + env);

    // the pruner reads the same setting from the same layers, and keeps at least that many rank
    // patterns
    LayeredConfig p = pruner("--config", file.toString()).settings(Map.of(env, "6"));
    assertThat(appResumeSnapshots(p)).isEqualTo(6);
    assertThat(PrunerTopology.Config.patternHistoryFor(appResumeSnapshots(p))).isEqualTo(6);
    assertThat(PrunerTopology.Config.patternHistoryFor(1))
        .isEqualTo(PrunerTopology.Config.MIN_PATTERN_HISTORY);
  }

  /** Issue 16: the idle retention and the grace period reach both apps from the file and env. */
  @Test
  void idleRetentionAndGraceReachBothApps() throws Exception {
    Path file = tmp.resolve("soak.properties");
    Files.writeString(file, LayeredConfig.IDLE_RETENTION_SECONDS + "=180\n");
    Map<String, Object> a =
        ServicesCommands.serdeConfig(
            analyzer("--config", file.toString())
                .settings(Map.of("SALIENTSTREAM_GRACE_SECONDS", "5")));
    Map<String, Object> p =
        ServicesCommands.serdeConfig(
            pruner("--config", file.toString())
                .settings(Map.of("SALIENTSTREAM_GRACE_SECONDS", "5")));
    for (Map<String, Object> app : List.of(a, p)) {
      assertThat(LayeredConfig.idleRetention(app)).isEqualTo(Duration.ofMinutes(3));
      assertThat(LayeredConfig.grace(app)).isEqualTo(Duration.ofSeconds(5));
    }
    assertThat(
            LayeredConfig.idleRetention(
                ServicesCommands.serdeConfig(analyzer().settings(Map.of()))))
        .isEqualTo(Duration.ofDays(7));
  }

  /**
   * Issue 15: {@code analyzer --tenant b.} without {@code --application-id} joined the default
   * tenant's consumer group, took 3 of its 6 tasks and restored its state. Application ids now
   * derive from the tenant, from whichever layer the tenant comes.
   */
  @Test
  void applicationIdsDeriveFromTheTenantSoTenantsNeverShareAGroup() {
    ServicesCommands.Analyzer plain = analyzer();
    ServicesCommands.Analyzer b = analyzer("--tenant", "b.");
    String plainId = plain.applicationId(plain.settings(Map.of()));
    String bId = b.applicationId(b.settings(Map.of()));
    assertThat(plainId).isEqualTo("salientstream-salience-analyzer");
    assertThat(bId).isEqualTo("b.salientstream-salience-analyzer");
    assertThat(plain.applicationId(plain.settings(Map.of("SALIENTSTREAM_TENANT", "c."))))
        .isEqualTo("c.salientstream-salience-analyzer");
    ServicesCommands.PrunerCmd pb = pruner("--tenant", "b.");
    assertThat(pb.applicationId(pb.settings(Map.of()))).isEqualTo("b.salientstream-pruner");
    ServicesCommands.PrunerCmd explicit = pruner("--tenant", "b.", "--application-id", "mine");
    assertThat(explicit.applicationId(explicit.settings(Map.of()))).isEqualTo("mine");
  }

  @Test
  void aBadValueIsRefusedOnceNamingWhereItCameFrom() throws Exception {
    Path file = tmp.resolve("bad.properties");
    Files.writeString(file, LayeredConfig.RESUME_SNAPSHOTS + "=0\n");
    assertThatThrownBy(() -> analyzer("--config", file.toString()).settings(Map.of()))
        .hasMessageContaining(LayeredConfig.RESUME_SNAPSHOTS)
        .hasMessageContaining("'0'")
        .hasMessageContaining("file bad.properties");
    assertThatThrownBy(() -> analyzer("--resume-snapshots", "-2").settings(Map.of()))
        .hasMessageContaining("integer >= 1")
        .hasMessageContaining("flag");
    assertThatThrownBy(
            () -> analyzer().settings(Map.of("SALIENTSTREAM_ANALYZER_RESUME_SNAPSHOTS", "many")))
        .hasMessageContaining("'many'")
        .hasMessageContaining("env SALIENTSTREAM_ANALYZER_RESUME_SNAPSHOTS");
  }
}
