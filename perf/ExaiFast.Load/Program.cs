using System.Net;
using ExaiFast.Load;

// Asked for, the usage is the answer: stdout and exit 0 (docs/performance.md runs it). A bad command line is exit 2.
if (args is ["-h" or "--help"])
{
    Console.WriteLine(LoadOptions.Usage);
    return 0;
}

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
    using var stop = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
    var listener = TcpEchoServer.Listen(IPEndPoint.Parse(options.Target.Length == 0 ? "127.0.0.1:0" : options.Target));
    Console.WriteLine($"listening {((IPEndPoint)listener.LocalEndPoint!).Port}");
    await TcpEchoServer.ServeAsync(listener, stop.Token);
    return 0;
}

var result = await LoadApp.RunAsync(options, CancellationToken.None);
Console.WriteLine(options.Json ? result.ToJson() : result.ToMarkdown());
// A run that measured nothing is a failed run, whatever it printed.
return result.Accepted.Count + result.Refused.Count > 0 ? 0 : 1;
