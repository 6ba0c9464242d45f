package io.salientstream.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.salientstream.stack.junit.SharedStack;
import io.salientstream.stack.junit.WithSharedStack;
import io.salientstream.stack.topics.TopicInitializer;
import io.salientstream.stack.topics.TopicSpec;
import io.salientstream.stack.topics.Topics;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.Test;

@WithSharedStack
class TopicInitializerTest {

  @Test
  void catalogueNamesAreVersionedAndPrefixed() {
    Topics acme = Topics.withPrefix("acme.");
    assertThat(acme.name(Topics.EXPERIMENTS)).isEqualTo("acme.salientstream.experiments.v1");
    assertThat(acme.name(Topics.SINGULAR_VALUES))
        .isEqualTo("acme.salientstream.singular-values.v1");
    assertThat(acme.name(Topics.DEAD_LETTER)).isEqualTo("acme.salientstream.dead-letter.v1");
    assertThat(acme.name(Topics.SCHEMAS)).isEqualTo("_schemas");
    assertThat(acme.names())
        .hasSize(Topics.specs().size())
        .doesNotHaveDuplicates()
        .allSatisfy(
            n -> assertThat(n).matches("(acme\\.salientstream\\.[a-z-]+\\.v\\d+|_schemas)"));
    assertThat(Topics.EXPERIMENTS.compacted()).isTrue();
    assertThat(Topics.SINGULAR_VALUES.compacted()).isFalse();
    TopicSpec<String> typed = Topics.RANK_COMMANDS.withValueType(String.class);
    assertThat(typed.valueType()).isEqualTo(String.class);
    assertThatThrownBy(() -> typed.valueSerde(null))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no Avro SpecificRecord");
  }

  @Test
  void createsMissingTopicsThenToleratesThemAndReportsMismatches(SharedStack stack)
      throws Exception {
    String prefix = TestRecords.uniqueTopic("tenant") + ".";
    Topics topics = Topics.withPrefix(prefix);
    try (Admin admin = stack.admin()) {
      // someone created the singular-values topic by hand with the wrong partition count
      admin
          .createTopics(List.of(new NewTopic(topics.name(Topics.SINGULAR_VALUES), 2, (short) 1)))
          .all()
          .get();

      TopicInitializer.Result first = TopicInitializer.ensureTopics(admin, topics, (short) 1);
      assertThat(first.created())
          .contains(topics.name(Topics.EXPERIMENTS), topics.name(Topics.RANK_COMMANDS))
          .doesNotContain(topics.name(Topics.SINGULAR_VALUES));
      assertThat(first.existing()).contains(topics.name(Topics.SINGULAR_VALUES), "_schemas");
      assertThat(first.mismatches())
          .singleElement()
          .asString()
          .contains(topics.name(Topics.SINGULAR_VALUES), "2 partitions", "6");
      assertThatThrownBy(first::requireMatching)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining(topics.name(Topics.SINGULAR_VALUES));

      TopicInitializer.Result second = TopicInitializer.ensureTopics(admin, topics, (short) 1);
      assertThat(second.created()).isEmpty();
      assertThat(second.existing()).containsExactlyInAnyOrderElementsOf(topics.names());
      assertThat(second.mismatches()).hasSize(1);

      Set<String> names = admin.listTopics().names().get();
      assertThat(names).containsAll(topics.names());
      Map<String, TopicDescription> d =
          admin.describeTopics(List.of(topics.name(Topics.EXPERIMENTS))).allTopicNames().get();
      assertThat(d.get(topics.name(Topics.EXPERIMENTS)).partitions())
          .hasSize(Topics.EXPERIMENTS.partitions());
      ConfigResource r =
          new ConfigResource(ConfigResource.Type.TOPIC, topics.name(Topics.EXPERIMENTS));
      assertThat(
              admin
                  .describeConfigs(List.of(r))
                  .all()
                  .get()
                  .get(r)
                  .get(TopicConfig.CLEANUP_POLICY_CONFIG)
                  .value())
          .isEqualTo(TopicConfig.CLEANUP_POLICY_COMPACT);

      // a cleanup-policy difference is reported too
      String wrongPolicy = TestRecords.uniqueTopic("policy");
      admin.createTopics(List.of(new NewTopic(wrongPolicy, 1, (short) 1))).all().get();
      TopicInitializer.Result third =
          TopicInitializer.ensureTopics(
              admin,
              List.of(
                  new NewTopic(wrongPolicy, 1, (short) 1)
                      .configs(
                          Map.of(
                              TopicConfig.CLEANUP_POLICY_CONFIG,
                              TopicConfig.CLEANUP_POLICY_COMPACT))));
      assertThat(third.mismatches())
          .singleElement()
          .asString()
          .contains("cleanup.policy=delete", "compact");
    }
  }
}
