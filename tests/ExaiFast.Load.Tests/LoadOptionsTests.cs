namespace ExaiFast.Load.Tests;

public class LoadOptionsTests
{
    [Fact]
    public void Defaults_AreAClosedLoopOf16Connections()
    {
        var options = LoadOptions.Parse(["call", "--target", "ws://127.0.0.1:1/"]);
        Assert.Equal("call", options.Mode);
        Assert.Equal(16, options.Connections);
        Assert.Equal(32, options.Size);
        Assert.Equal(TimeSpan.FromSeconds(5), options.Duration);
        Assert.Null(options.Rate);
        Assert.Null(options.ServerPid);
        Assert.False(options.Json);
        Assert.Equal("call", options.Label);
    }

    [Fact]
    public void EveryOption_IsRead()
    {
        var options = LoadOptions.Parse(["mcp", "--target", "ws://h/", "--connections", "64", "--size", "4096", "--duration", "0.5", "--warmup", "0",
            "--label", "L", "--rate", "10x", "--probe", "2", "--max-outstanding", "5", "--drain", "1", "--server-pid", "123", "--format", "json", "--tool-latency-ms", "10"]);
        Assert.Equal(64, options.Connections);
        Assert.Equal(4096, options.Size);
        Assert.Equal(TimeSpan.FromSeconds(0.5), options.Duration);
        Assert.Equal(TimeSpan.Zero, options.Warmup);
        Assert.Equal("L", options.Label);
        Assert.Equal(new RateSpec(10, RelativeToCapacity: true), options.Rate);
        Assert.Equal(TimeSpan.FromSeconds(2), options.Probe);
        Assert.Equal(5, options.MaxOutstanding);
        Assert.Equal(TimeSpan.FromSeconds(1), options.Drain);
        Assert.Equal(123, options.ServerPid);
        Assert.True(options.Json);
        Assert.Equal(10, options.ToolLatencyMs);
    }

    [Theory]
    [InlineData("unknown mode", "bogus", "--target", "x")]
    [InlineData("unknown option", "call", "--target", "x", "--conections", "4")]
    [InlineData("expected --name value", "call", "--target")]
    [InlineData("expected --name value", "call", "target", "x")]
    [InlineData("--connections must be an integer", "call", "--target", "x", "--connections", "0")]
    [InlineData("--connections must be an integer", "call", "--target", "x", "--connections", "many")]
    [InlineData("--duration must be a number of seconds", "call", "--target", "x", "--duration", "0")]
    [InlineData("--duration must be a number of seconds", "call", "--target", "x", "--duration", "NaN")]
    [InlineData("--warmup must be a number of seconds", "call", "--target", "x", "--warmup", "-1")]
    [InlineData("--rate must be a positive number", "call", "--target", "x", "--rate", "0")]
    [InlineData("--rate must be a positive number", "call", "--target", "x", "--rate", "fastx")]
    [InlineData("--rate must be a positive number", "call", "--target", "x", "--rate", "-3x")]
    [InlineData("--rate does not apply", "idle", "--target", "x", "--rate", "10")]
    [InlineData("--size must be at least 8", "ws", "--target", "x", "--size", "4")]
    [InlineData("--target is required", "call")]
    [InlineData("--format is markdown or json", "call", "--target", "x", "--format", "xml")]
    [InlineData("--turns applies to mode call", "ping", "--target", "x", "--turns", "5")]
    [InlineData("--turns applies to mode call", "call", "--target", "x", "--turns", "5", "--rate", "100")]
    [InlineData("--turns must be an integer", "call", "--target", "x", "--turns", "0")]
    [InlineData("usage:")]
    [InlineData("usage:", "--help")]
    public void BadCommandLines_SayWhatIsWrong(string expected, params string[] args)
    {
        var error = Assert.Throws<ArgumentException>(() => LoadOptions.Parse(args));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheTcpEchoServer_NeedsNoTarget()
    {
        Assert.Equal("tcp-echo-server", LoadOptions.Parse(["tcp-echo-server"]).Mode);
    }

    [Fact]
    public void Rate_IsAbsoluteOrAMultipleOfCapacity()
    {
        Assert.Equal(2500, RateSpec.Parse("2500").Resolve(capacity: 123));
        Assert.Equal(1230, RateSpec.Parse("10x").Resolve(capacity: 123));
        Assert.Equal(61.5, RateSpec.Parse("0.5x").Resolve(capacity: 123));
    }
}
