package io.salientstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.salientstream.analyzer.SalienceAnalyzer;
import io.salientstream.loop.LoopServices;
import io.salientstream.loop.LoopTopics;
import io.salientstream.stack.junit.SharedStack;
import io.salientstream.stack.junit.WithSharedStack;
import io.salientstream.stack.topics.TopicInitializer;
import io.salientstream.stack.topics.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Issue 15: {@code analyzer --tenant b.} started without {@code --application-id} joined the
 * default tenant's group and took 3 of its 6 tasks. Two tenants' analyzers, each started as the
 * command starts it with default settings, on the real broker: two groups, each member holding
 * every partition of its own tenant's inputs and none of the other's.
 */
@WithSharedStack
class TenantApplicationIdsTest {

  @Test
  void twoTenantsAnalyzersWithDefaultSettingsNeverShareATask(SharedStack stack, @TempDir Path state)
      throws Exception {
    String run = Long.toHexString(System.nanoTime());
    List<String> tenants = List.of("ta" + run + ".", "tb" + run + ".");
    for (String t : tenants) {
      TopicInitializer.ensureTopics(stack.admin(), Topics.withPrefix(t), (short) 1)
          .requireMatching();
    }
    String[] ids = new String[2];
    SalienceAnalyzer[] apps = new SalienceAnalyzer[2];
    try {
      for (int i = 0; i < 2; i++) {
        ServicesCommands.Analyzer cmd = new ServicesCommands.Analyzer();
        new CommandLine(cmd).parseArgs("--tenant", tenants.get(i));
        ids[i] = cmd.applicationId(cmd.settings(Map.of()));
        apps[i] =
            SalienceAnalyzer.start(
                stack.clientConfig(),
                LoopServices.analyzerTopics(LoopTopics.forPrefix(tenants.get(i))),
                state.resolve("a" + i),
                ids[i]);
      }
      assertThat(ids[0]).isNotEqualTo(ids[1]).startsWith(tenants.get(0));
      await()
          .atMost(Duration.ofSeconds(90))
          .until(
              () ->
                  apps[0].app().streams().state() == KafkaStreams.State.RUNNING
                      && apps[1].app().streams().state() == KafkaStreams.State.RUNNING);
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () -> {
                Map<String, ConsumerGroupDescription> groups =
                    stack.admin().describeConsumerGroups(List.of(ids[0], ids[1])).all().get();
                for (int i = 0; i < 2; i++) {
                  String tenant = tenants.get(i);
                  String other = tenants.get(1 - i);
                  ConsumerGroupDescription g = groups.get(ids[i]);
                  assertThat(g.members()).as(ids[i]).hasSize(1);
                  MemberDescription m = g.members().iterator().next();
                  Set<TopicPartition> held = m.assignment().topicPartitions();
                  assertThat(held).allMatch(tp -> tp.topic().startsWith(tenant));
                  assertThat(held).noneMatch(tp -> tp.topic().startsWith(other));
                  Set<String> topics =
                      held.stream().map(TopicPartition::topic).collect(Collectors.toSet());
                  LoopTopics own = LoopTopics.forPrefix(tenant);
                  assertThat(topics).contains(own.experiments(), own.singularValues());
                  assertThat(held.stream().filter(tp -> tp.topic().equals(own.singularValues())))
                      .as("every singular-values partition of " + tenant)
                      .hasSize(Topics.EXPERIMENT_PARTITIONS);
                }
              });
    } finally {
      for (SalienceAnalyzer a : apps) {
        if (a != null) {
          a.close();
        }
      }
    }
  }
}
