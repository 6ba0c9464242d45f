package io.salientstream.loop;

import static org.assertj.core.api.Assertions.assertThat;

import io.salientstream.analyzer.SalienceAnalyzer;
import io.salientstream.pruner.Pruner;
import io.salientstream.stack.LocalStack;
import io.salientstream.stack.secure.TenantSetup;
import io.salientstream.stack.secure.TenantSetup.Role;
import io.salientstream.stack.topics.TopicInitializer;
import io.salientstream.stack.topics.Topics;
import io.salientstream.trainer.train.Experiment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The closed loop on this test JVM's one secure stack ({@code local --secure}: SASL_SSL,
 * SCRAM-SHA-512, ACLs required, registry over HTTPS with users), each process as its own role
 * principal of tenant {@code s.} with only that role's ACLs and registry rights: a sync-mode
 * rank-recovery run still ends bit-identical to the same run with the policy in-process.
 */
class SecureLoopTest {
  private static final String TENANT = "s.";

  @Test
  void syncLoopUnderLeastPrivilegeOverSaslSslIsBitIdenticalToInProcess(@TempDir Path state)
      throws Exception {
    try (LocalStack stack = LocalStack.builder().secure().build().start()) {
      Map<Role, String> pw;
      try (Admin admin = stack.admin()) {
        TopicInitializer.ensureTopics(admin, Topics.withPrefix(TENANT), (short) 1);
        pw = TenantSetup.create(admin, TENANT);
      }
      StringBuilder users = new StringBuilder();
      for (Role r : Role.values()) {
        users
            .append(r.user(TENANT))
            .append(r == Role.MONITOR ? " READ " : " WRITE ")
            .append(TENANT)
            .append(' ')
            .append(pw.get(r))
            .append('\n');
      }
      Files.writeString(
          stack.registryUsersFile(),
          users.toString(),
          StandardCharsets.UTF_8,
          StandardOpenOption.APPEND);
      stack.restartRegistry();

      LoopTopics topics = LoopTopics.forPrefix(TENANT);
      Experiment.Spec spec = SyncLoopReproducesInProcessTest.spec("salientlora:small");
      Map<String, Object> inProcess = Experiment.run(spec, null, null, Long.MAX_VALUE);

      try (SalienceAnalyzer analyzer =
              SalienceAnalyzer.start(
                  config(stack, Role.ANALYZER, pw),
                  LoopServices.analyzerTopics(topics),
                  state.resolve("analyzer"),
                  TENANT + SalienceAnalyzer.DEFAULT_APPLICATION_ID);
          Pruner pruner =
              Pruner.start(
                  config(stack, Role.PRUNER, pw),
                  LoopServices.prunerTopics(topics),
                  state.resolve("pruner"),
                  TENANT + Pruner.DEFAULT_APPLICATION_ID,
                  "test")) {
        AtomicReference<KafkaAllocationHost> host = new AtomicReference<>();
        KafkaHosts hosts =
            new KafkaHosts(
                config(stack, Role.TRAINER, pw),
                topics,
                "secure-sync-" + System.nanoTime(),
                TENANT,
                KafkaAllocationHost.Mode.SYNC,
                Duration.ofSeconds(90),
                host::set);
        Map<String, Object> overKafka =
            Experiment.run(spec, null, null, Long.MAX_VALUE, hosts, "kafka-sync");

        assertThat(host.get().commandsApplied()).as("commands applied").isGreaterThan(0);
        assertThat(host.get().commandsRefused()).as("commands refused").isZero();
        assertThat(overKafka.get("keepMasks")).isEqualTo(inProcess.get("keepMasks"));
        assertThat(overKafka.get("finalTotalRank")).isEqualTo(inProcess.get("finalTotalRank"));
        assertThat(overKafka.get("adapterChecksum"))
            .as("adapters bit for bit")
            .isEqualTo(inProcess.get("adapterChecksum"));
        assertThat((Integer) inProcess.get("finalTotalRank"))
            .as("the policy pruned something")
            .isLessThan(spec.initRank() * spec.matrices());
      }
    }
  }

  /** What a process of {@code role} is given: its own principal for Kafka and the registry. */
  private static Map<String, Object> config(LocalStack stack, Role role, Map<Role, String> pw) {
    String user = role.user(TENANT);
    Map<String, Object> c = new HashMap<>(stack.kafka().clientProperties(user, pw.get(role)));
    c.put("schema.registry.url", stack.registryUrl());
    c.put("schema.registry.ssl.truststore.type", "PEM");
    c.put("schema.registry.ssl.truststore.location", stack.kafka().caPem().toString());
    c.put("basic.auth.credentials.source", "USER_INFO");
    c.put("basic.auth.user.info", user + ":" + pw.get(role));
    return c;
  }
}
