using System.Buffers;
using Microsoft.Net.Http.Headers;

namespace PinsDaemon.Host.Endpoints;

/// <summary>Small JSON request bodies, read whole and bounded.</summary>
internal static class RequestBody
{
    /// <summary>
    /// <c>application/json</c>, with no charset or UTF-8 (the only encoding JSON has, RFC 8259).
    /// The body is read strictly as JSON, so a client that labels it otherwise has made a
    /// mistake worth telling it about rather than guessing past. (A cross-site HTML form cannot
    /// send this type at all.)
    /// </summary>
    public static bool IsJson(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var parsed)
            || !string.Equals(parsed.MediaType.Value, "application/json", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var charset = HeaderUtilities.RemoveQuotes(parsed.Charset);
        return charset.Length == 0 || charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The body, or null when it is larger than <paramref name="maxBytes"/>.</summary>
    public static async Task<byte[]?> ReadAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes)
        {
            return null;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(maxBytes + 1);
        try
        {
            var total = 0;
            while (total <= maxBytes)
            {
                var read = await request.Body.ReadAsync(buffer.AsMemory(total, maxBytes + 1 - total), cancellationToken);
                if (read == 0)
                {
                    return buffer.AsSpan(0, total).ToArray();
                }

                total += read;
            }

            return null;
        }
        finally
        {
            // The body may hold a token: it does not linger in the shared pool.
            Array.Clear(buffer);
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
