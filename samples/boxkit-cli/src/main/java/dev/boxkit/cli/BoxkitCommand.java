package dev.boxkit.cli;

import dev.boxkit.oci.InvalidInputException;
import dev.boxkit.oci.OciException;
import dev.boxkit.sandbox.SandboxException;
import dev.boxkit.sandbox.SandboxSetupException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The top-level {@code boxkit} command and how its failures become exit statuses: usage errors
 * 2, BoxKit errors 125 with the message on stderr, a program that cannot run 126 or 127.
 */
@Command(name = "boxkit", mixinStandardHelpOptions = true, version = "boxkit 0.1.0",
    description = "Build OCI images and run programs in sandboxes, with no daemon.",
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
        " 0:Success (for run: the program's status; 128+N when signal N killed it).",
        " 2:Bad command line.",
        "125:BoxKit failed; the message is on stderr.",
        "126:The program could not be executed.",
        "127:The program was not found."})
final class BoxkitCommand {

  /**
   * The subcommands in help order. picocli reads a command's annotations into its model when the
   * command is added, so only the one named is added: a short command pays for its own options only.
   */
  private static final Map<String, Supplier<Object>> SUBCOMMANDS = subcommands();

  /** Runs {@code args} with the process's stdout and stderr. */
  static int execute(String... args) {
    PrintWriter out = new PrintWriter(System.out, true);
    PrintWriter err = new PrintWriter(System.err, true);
    return commandLine(out, err, args).execute(args);
  }

  /**
   * @param out where results go (a digest, JSON)
   * @param err where errors and progress go
   * @param args the command line to be executed: when its first word names a subcommand only that
   *     one is set up, else all of them (for help and for suggestions on a misspelt name)
   * @return a command line ready for {@link CommandLine#execute(String...)} of {@code args}
   */
  static CommandLine commandLine(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cl = new CommandLine(new BoxkitCommand());
    Supplier<Object> named = args.length > 0 ? SUBCOMMANDS.get(args[0]) : null;
    if (named != null) {
      cl.addSubcommand(args[0], named.get());
    } else {
      SUBCOMMANDS.forEach((name, command) -> cl.addSubcommand(name, command.get()));
    }
    cl.setOut(out);
    cl.setErr(err);
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    register(cl, LayerArg.class, LayerArg::parse);
    register(cl, KeyValue.class, KeyValue::parse);
    register(cl, BindArg.class, BindArg::parse);
    register(cl, PublishArg.class, PublishArg::parse);
    register(cl, DeviceArg.class, DeviceArg::parse);
    register(cl, NetworkArg.class, NetworkArg::parse);
    register(cl, ByteSize.class, ByteSize::parse);
    register(cl, DurationArg.class, DurationArg::parse);
    register(cl, UserArg.class, UserArg::parse);
    register(cl, SourceRef.class, s -> SourceRef.parse("from", s));
    register(cl, TargetRef.class, s -> TargetRef.parse("output", s));
    cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      commandLine.getErr().println("boxkit: " + message(e));
      commandLine.getErr().flush();
      return exitCode(e);
    });
    return cl;
  }

  private static Map<String, Supplier<Object>> subcommands() {
    Map<String, Supplier<Object>> m = new LinkedHashMap<>();
    m.put("build", BuildCommand::new);
    m.put("run", RunCommand::new);
    m.put("inspect", InspectCommand::new);
    m.put("unpack", UnpackCommand::new);
    m.put("copy", CopyCommand::new);
    return Collections.unmodifiableMap(m);
  }

  private static <T> void register(CommandLine cl, Class<T> type, Function<String, T> parse) {
    cl.registerConverter(type, text -> {
      try {
        return parse.apply(text);
      } catch (InvalidInputException e) {
        // picocli prefixes "Invalid value for option '--flag': ".
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    });
  }

  private static String message(Exception e) {
    if (e instanceof OciException || e instanceof SandboxException || e instanceof UncheckedIOException) {
      return e.getMessage();
    }
    return e.toString();
  }

  static int exitCode(Exception e) {
    if (e instanceof SandboxSetupException s && s.step().equals("exec")) {
      return s.errno() == 2 ? ExitCodes.NOT_FOUND : ExitCodes.CANNOT_EXECUTE; // ENOENT
    }
    return ExitCodes.BOXKIT_ERROR;
  }
}
