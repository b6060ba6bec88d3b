using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace PinsDaemon.Host.Endpoints;

/// <summary>
/// The body of every endpoint that takes JSON (<c>POST /upgrade</c>, <c>POST /fleet/rollouts</c>,
/// <c>POST /session</c>),
/// read the same strict way: 415 unless it is labelled JSON, 413 when it is larger than the
/// endpoint allows (read no further than that). Each endpoint then parses the bytes itself.
/// </summary>
internal static class JsonRequestBody
{
    /// <summary>The body, or what to answer instead and a log-safe line for the audit log saying why.</summary>
    public readonly record struct Result(byte[]? Bytes, ProblemHttpResult? Problem, string? Refusal)
    {
        [MemberNotNullWhen(true, nameof(Problem), nameof(Refusal))]
        [MemberNotNullWhen(false, nameof(Bytes))]
        public bool IsRefused => Problem is not null;
    }

    /// <param name="expected">What a valid body looks like, added to each refusal.</param>
    public static async Task<Result> ReadAsync(HttpRequest request, int maxBytes, string expected, CancellationToken cancellationToken)
    {
        if (!IsJson(request.ContentType))
        {
            return new Result(
                null,
                TypedResults.Problem(
                    statusCode: StatusCodes.Status415UnsupportedMediaType,
                    title: "The body must be JSON",
                    detail: $"Send the body with 'Content-Type: application/json' (UTF-8). {expected}"),
                $"Content-Type '{Audit.LogSafe(request.ContentType, 80)}' is not JSON");
        }

        if (await ReadAtMostAsync(request, maxBytes, cancellationToken) is not { } bytes)
        {
            return new Result(
                null,
                TypedResults.Problem(
                    statusCode: StatusCodes.Status413PayloadTooLarge,
                    title: "Request body too large",
                    detail: $"The body may be at most {maxBytes} bytes. {expected}"),
                $"body over {maxBytes} bytes");
        }

        return new Result(bytes, null, null);
    }

    /// <summary>
    /// <c>application/json</c>, with no charset or UTF-8 (the only encoding JSON has, RFC 8259).
    /// The body is read strictly as JSON, so a client that labels it otherwise has made a
    /// mistake worth telling it about rather than guessing past.
    /// </summary>
    private static bool IsJson(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var parsed)
            || !string.Equals(parsed.MediaType.Value, "application/json", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var charset = HeaderUtilities.RemoveQuotes(parsed.Charset);
        return charset.Length == 0 || charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The whole body, or null when it is larger than <paramref name="maxBytes"/>.</summary>
    private static async Task<byte[]?> ReadAtMostAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
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
            // A body may hold a token (POST /session): it does not linger in the shared pool.
            Array.Clear(buffer, 0, Math.Min(buffer.Length, maxBytes + 1));
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
