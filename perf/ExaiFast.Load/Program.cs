using System.Net;
using ExaiFast.Load;

LoadOptions options;
try
{
    options = LoadOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

if (options.Mode == "tcp-echo-server")
{
    await TcpLoop.ServeEchoAsync(IPEndPoint.Parse(options.Target.Length == 0 ? "127.0.0.1:0" : options.Target));
    return 0;
}

RunResult result = options.Mode switch
{
    "ws" => await LoadRunner.RunAsync(options, _ => WebSocketLoop.ConnectAsync(new Uri(options.Target), options.Size)),
    "call" => await LoadRunner.RunAsync(options, i => CallToolLoop.ConnectAsync(new Uri(options.Target), i, options.Size)),
    "mcp" => await LoadRunner.RunAsync(options, i => CallToolLoop.ConnectAsync(new Uri(options.Target), i, options.Size, mcp: true)),
    "mcp-http" => await LoadRunner.RunAsync(options, _ => McpHttpLoop.ConnectAsync(new Uri(options.Target), options.Size)),
    "tcp" => await LoadRunner.RunAsync(options, _ => TcpLoop.ConnectAsync(IPEndPoint.Parse(options.Target), options.Size)),
    _ => throw new ArgumentException($"unknown mode '{options.Mode}'\n{LoadOptions.Usage}"),
};

Console.WriteLine(result.ToMarkdownRow());
return 0;
