using ExaiFast.Cli;

return ExaiFastCli.Run(args, ExaiFastCli.ProcessEnvironment(), Console.Out, Console.Error);
