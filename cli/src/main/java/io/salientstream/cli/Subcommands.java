package io.salientstream.cli;

import picocli.CommandLine;

/** Every subcommand of the launcher, in the order {@code --help} lists them. */
final class Subcommands {

  private Subcommands() {}

  static void register(CommandLine cl) {
    cl.addSubcommand(new DemoCommand());
    cl.addSubcommand(new io.salientstream.trainer.cli.TrainCommand());
    cl.addSubcommand(new io.salientstream.trainer.cli.CompareCommand());
    cl.addSubcommand(new io.salientstream.core.cli.SalienceCommand());
    cl.addSubcommand(new io.salientstream.core.cli.ScheduleCommand());
    ServicesCli.register(cl); // local, topics, analyzer, pruner: the services launcher's commands
    cl.addSubcommand(new WatchCommand());
    cl.addSubcommand(new BenchCommand());
  }
}
