using System.Text;

namespace ExaiFast.Testing;

/// <summary>Reads HTTP/1.1 requests (head and Content-Length body) off a connection, for <see cref="FakeOpenAIServer"/>.</summary>
public sealed class RequestReader(Stream stream)
{
    private const int MaxRequestBytes = 64 << 20;
    private byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    /// <summary>The next request, or null at the end of the connection.</summary>
    public async Task<(Dictionary<string, string> Headers, byte[] Body)?> ReadRequestAsync(CancellationToken ct)
    {
        int headEnd;
        while ((headEnd = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8)) < 0)
        {
            if (!await FillAsync(ct).ConfigureAwait(false))
            {
                return null;
            }
        }

        string head = Encoding.ASCII.GetString(_buffer, _start, headEnd);
        _start += headEnd + 4;
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string line in head.Split("\r\n").Skip(1))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
        }

        int length = headers.TryGetValue("content-length", out var l) ? int.Parse(l, System.Globalization.CultureInfo.InvariantCulture) : 0;
        while (_end - _start < length)
        {
            if (!await FillAsync(ct).ConfigureAwait(false))
            {
                return null;
            }
        }

        byte[] body = _buffer.AsSpan(_start, length).ToArray();
        _start += length;
        return (headers, body);
    }

    private async Task<bool> FillAsync(CancellationToken ct)
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            // A big prompt's request: grown as needed, up to a bound that still catches a runaway body.
            if (_buffer.Length >= MaxRequestBytes)
            {
                throw new IOException("request too large for the fake server");
            }

            Array.Resize(ref _buffer, _buffer.Length * 2);
        }

        int n = await stream.ReadAsync(_buffer.AsMemory(_end), ct).ConfigureAwait(false);
        _end += n;
        return n > 0;
    }
}
