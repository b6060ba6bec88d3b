using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using PinsDaemon.Host.Tests.TestSupport;

namespace PinsDaemon.Host.Tests;

/// <summary>How the page reaches a browser: embedded files, a strict CSP, caching by content hash.</summary>
public sealed partial class PageDeliverySpecs
{
    [Fact]
    public async Task Should_serve_the_page_without_a_token_under_a_strict_content_security_policy()
    {
        await using var daemon = await DaemonFixture.StartAsync("mixed-output.sh");
        using var response = await daemon.Anonymous.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Equal(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
            csp);
        Assert.DoesNotContain("unsafe", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());

        // Nothing inline for the policy to have to allow: every script is a file, no style attribute, no style element.
        var html = await response.Content.ReadAsStringAsync();
        Assert.All(ScriptTags().Matches(html), tag => Assert.Matches("src=\"/assets/app\\.[0-9a-f]{16}\\.js\"", tag.Value));
        Assert.DoesNotMatch("(?i)<style|\\sstyle=|\\son[a-z]+=|javascript:", html);
        Assert.Contains("<input type=\"password\" name=\"token\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_serve_assets_under_their_content_hash_for_a_year_and_the_page_revalidated()
    {
        await using var daemon = await DaemonFixture.StartAsync("mixed-output.sh");
        using var page = await daemon.Anonymous.GetAsync("/");
        Assert.Equal("no-cache", page.Headers.CacheControl!.ToString());
        var html = await page.Content.ReadAsStringAsync();
        var assets = AssetLinks().Matches(html).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(3, assets.Count);

        foreach (var name in assets)
        {
            using var asset = await daemon.Anonymous.GetAsync($"/assets/{name}");
            Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
            Assert.Equal("public, max-age=31536000, immutable", asset.Headers.CacheControl!.ToString());
            var content = await asset.Content.ReadAsByteArrayAsync();
            var hash = Convert.ToHexStringLower(SHA256.HashData(content).AsSpan(0, 8));
            Assert.Contains($".{hash}.", name, StringComparison.Ordinal);
        }

        // Revalidating the page costs a 304; an asset of another version is simply not there.
        using var revalidate = new HttpRequestMessage(HttpMethod.Get, "/");
        revalidate.Headers.IfNoneMatch.Add(page.Headers.ETag!);
        Assert.Equal(HttpStatusCode.NotModified, (await daemon.Anonymous.SendAsync(revalidate)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await daemon.Anonymous.GetAsync("/assets/app.0000000000000000.js")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await daemon.Anonymous.GetAsync("/assets/app.js")).StatusCode);
    }

    [Fact]
    public async Task Should_send_gzip_to_browsers_that_take_it()
    {
        await using var daemon = await DaemonFixture.StartAsync("mixed-output.sh");
        var html = await daemon.Anonymous.GetStringAsync("/");
        var script = AssetLinks().Matches(html).Select(m => m.Groups[1].Value).Single(n => n.EndsWith(".js", StringComparison.Ordinal));
        var plain = await daemon.Anonymous.GetByteArrayAsync($"/assets/{script}");

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/assets/{script}");
        request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));
        using var response = await daemon.Anonymous.SendAsync(request);
        Assert.Equal(["gzip"], response.Content.Headers.ContentEncoding);
        Assert.Contains("Accept-Encoding", response.Headers.Vary);
        var compressed = await response.Content.ReadAsByteArrayAsync();
        Assert.True(compressed.Length < plain.Length / 2, $"{compressed.Length} bytes compressed from {plain.Length}");
        using var unzipped = new MemoryStream();
        await using (var gzip = new System.IO.Compression.GZipStream(new MemoryStream(compressed), System.IO.Compression.CompressionMode.Decompress))
        {
            await gzip.CopyToAsync(unzipped);
        }

        Assert.Equal(plain, unzipped.ToArray());
    }

    [Fact]
    public async Task Should_never_put_daemon_text_into_the_page_as_markup()
    {
        // The page's script has no HTML sinks at all: everything goes in as text.
        await using var daemon = await DaemonFixture.StartAsync("mixed-output.sh");
        var html = await daemon.Anonymous.GetStringAsync("/");
        var script = AssetLinks().Matches(html).Select(m => m.Groups[1].Value).Single(n => n.EndsWith(".js", StringComparison.Ordinal));
        var code = await daemon.Anonymous.GetStringAsync($"/assets/{script}");
        Assert.DoesNotMatch("innerHTML|outerHTML|insertAdjacentHTML|document\\.write|\\beval\\(|new Function|setAttribute\\('on", code);
        Assert.DoesNotMatch("localStorage|sessionStorage|document\\.cookie", code);
    }

    [GeneratedRegex("<script[^>]*>")]
    private static partial Regex ScriptTags();

    [GeneratedRegex("\"/assets/([^\"]+)\"")]
    private static partial Regex AssetLinks();
}
