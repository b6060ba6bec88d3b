using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using PinsDaemon.Contracts;

namespace PinsDaemon.Host.OpenApi;

/// <summary>
/// <c>GET /openapi/v1.json</c>: the API as an OpenAPI 3.1 document, generated from the endpoints
/// and the contract types. It needs the admin token like the API it describes: it names the
/// daemon and everything it can do to an unauthenticated scanner, and whoever writes a client has
/// the token anyway. The error answers of endpoints defined elsewhere, the WebSocket and
/// <c>/metrics</c> (neither of which ASP.NET Core can describe) are added here.
/// </summary>
internal static class OpenApiExtensions
{
    public const string AdminScheme = "adminToken";

    public const string MetricsScheme = "metricsToken";

    private const string ProblemJson = "application/problem+json";

    /// <summary>
    /// The problem answers each endpoint can give besides 401 and 429 (which every protected one
    /// can). Kept next to the document, so endpoints owned by other areas need no OpenAPI code.
    /// </summary>
    private static readonly Dictionary<(string Method, string Path), int[]> Problems = new()
    {
        [("POST", "/upgrade")] = [400, 409, 413, 503],
        [("GET", "/jobs")] = [503],
        [("GET", "/jobs/{jobId}")] = [400, 404, 503],
        [("GET", "/jobs/{jobId}/log")] = [400, 404, 503],
        [("POST", "/jobs/{jobId}/cancel")] = [400, 404, 409, 503],
        [("POST", "/jobs/{jobId}/ticket")] = [400, 404, 503],
        [("GET", "/host")] = [503],
        [("GET", "/host/apt-history")] = [400],
        [("POST", "/reboot")] = [403, 409, 500, 503],
        [("DELETE", "/reboot")] = [403, 409, 500, 503],
    };

    public static IServiceCollection AddPinsOpenApi(this IServiceCollection services)
    {
        services.AddOpenApi("v1", options =>
        {
            options.AddDocumentTransformer(DescribeDocumentAsync);
            options.AddOperationTransformer(DescribeOperationAsync);
            options.AddSchemaTransformer(DescribeSchemaAsync);
        });
        return services;
    }

    public static IEndpointRouteBuilder MapPinsOpenApi(this IEndpointRouteBuilder app)
    {
        app.MapOpenApi("/openapi/{documentName}.json");
        return app;
    }

    /// <summary>A job's <c>reason</c>, <c>supervisor</c>, <c>mode</c> and <c>trigger</c> are closed sets that clients match on: listed.</summary>
    private static Task DescribeSchemaAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (context.JsonTypeInfo.Type == typeof(JobSnapshot) && schema.Properties is { } properties)
        {
            Restrict(properties, "reason", JobReasons.All, nullable: true);
            Restrict(properties, "supervisor", JobReasons.Supervisors, nullable: true);
            Restrict(properties, "mode", UpgradeModes.All, nullable: false);
            Restrict(properties, "trigger", JobTriggers.All, nullable: false);
        }

        if (context.JsonTypeInfo.Type == typeof(NotificationDelivery) && schema.Properties is { } delivery)
        {
            Restrict(delivery, "event", NotificationEvents.All, nullable: false);
            Restrict(delivery, "status", NotificationStatuses.All, nullable: false);
        }

        // A rollout's mode is the mode of each host's job.
        if ((context.JsonTypeInfo.Type == typeof(JobAccepted) || context.JsonTypeInfo.Type == typeof(RolloutView))
            && schema.Properties is { } accepted)
        {
            Restrict(accepted, "mode", UpgradeModes.All, nullable: false);
        }

        return Task.CompletedTask;
    }

    private static void Restrict(IDictionary<string, IOpenApiSchema> properties, string name, IReadOnlyList<string> values, bool nullable)
    {
        if (properties.TryGetValue(name, out var property) && property is OpenApiSchema schema)
        {
            // Null stays allowed where the type says so (unknown, or not applicable).
            var allowed = values.Select(value => (JsonNode)JsonValue.Create(value)!).ToList();
            if (nullable)
            {
                allowed.Add(null!);
            }

            schema.Enum = allowed;
        }
    }

    private static async Task DescribeDocumentAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info = new OpenApiInfo
        {
            Title = "PinsDaemon",
            Version = "v1",
            Description = "Upgrades this Debian-family machine on request and streams the output. Errors are application/problem+json. " +
                "The log WebSocket's frames are described in the README (\"WebSocket frames\").",
        };
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[AdminScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "The admin token (Auth:TokenFile or API_TOKEN): every endpoint but /healthz and /metrics.",
        };
        document.Components.SecuritySchemes[MetricsScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "The read-only metrics token (Metrics:TokenFile): /metrics only.",
        };

        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        if (!document.Components.Schemas.ContainsKey("ProblemDetails"))
        {
            document.AddComponent("ProblemDetails", await context.GetOrCreateSchemaAsync(typeof(ProblemDetails), cancellationToken: cancellationToken));
        }

        // Problems carry extensions: traceId always, jobId on a conflict with a job.
        ((OpenApiSchema)document.Components.Schemas["ProblemDetails"]).AdditionalProperties =
            new OpenApiSchema { Description = "Extensions such as traceId and jobId" };

        // A line object of GET /jobs/{id}/log is a log frame: it carries its type, as on the WebSocket.
        var line = (OpenApiSchema)await context.GetOrCreateSchemaAsync(typeof(LineFrame), cancellationToken: cancellationToken);
        line.Properties ??= new Dictionary<string, IOpenApiSchema>();
        line.Properties["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [JsonValue.Create("line")] };
        line.Required ??= new HashSet<string>();
        line.Required.Add("type");
        document.Components.Schemas["LineFrame"] = line;

        document.Paths ??= [];
        document.Paths["/metrics"] = new OpenApiPathItem
        {
            Operations = new Dictionary<HttpMethod, OpenApiOperation>
            {
                [HttpMethod.Get] = Secured(document, MetricsScheme, new OpenApiOperation
                {
                    Summary = "Prometheus metrics (text format 0.0.4); the metrics token only, never the admin token",
                    Tags = new HashSet<OpenApiTagReference> { new("Metrics", document) },
                    Responses = new OpenApiResponses
                    {
                        ["200"] = new OpenApiResponse
                        {
                            Description = "The metrics",
                            Content = new Dictionary<string, OpenApiMediaType> { ["text/plain"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String } } },
                        },
                        ["401"] = ProblemResponse(document, "Missing or wrong metrics token"),
                        ["429"] = ProblemResponse(document, "Too many failed authentications from this address"),
                        ["503"] = new OpenApiResponse { Description = "The job supervisor did not answer in time (text)" },
                    },
                }),
            },
        };

        document.Paths["/logs/{jobId}"] = new OpenApiPathItem
        {
            Parameters =
            [
                new OpenApiParameter { Name = "jobId", In = ParameterLocation.Path, Required = true, Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uuid" } },
                new OpenApiParameter { Name = "after", In = ParameterLocation.Query, Description = "Replay only lines with a greater seq.", Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "0" } },
                new OpenApiParameter { Name = "batch", In = ParameterLocation.Query, Description = "true: several lines per frame.", Schema = new OpenApiSchema { Type = JsonSchemaType.Boolean } },
                new OpenApiParameter { Name = "token", In = ParameterLocation.Query, Description = "The admin token, for browsers (Auth:AllowQueryToken).", Schema = new OpenApiSchema { Type = JsonSchemaType.String } },
                new OpenApiParameter { Name = "ticket", In = ParameterLocation.Query, Description = "A single-use ticket from POST /jobs/{jobId}/ticket.", Schema = new OpenApiSchema { Type = JsonSchemaType.String } },
            ],
            Operations = new Dictionary<HttpMethod, OpenApiOperation>
            {
                [HttpMethod.Get] = Secured(document, AdminScheme, new OpenApiOperation
                {
                    Summary = "WebSocket: the job's log lines, replayed then live, then an end frame (frames: see the README)",
                    Tags = new HashSet<OpenApiTagReference> { new("Jobs", document) },
                    Responses = WithProblems(document, new OpenApiResponses { ["101"] = new OpenApiResponse { Description = "Switching to the WebSocket protocol" } }, [400, 403, 404, 429, 503]),
                }),
            },
        };
    }

    private static Task DescribeOperationAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var description = context.Description;
        var method = description.HttpMethod ?? "GET";
        var path = "/" + (description.RelativePath ?? string.Empty).TrimEnd('/');
        var anonymous = description.ActionDescriptor.EndpointMetadata.OfType<IAllowAnonymous>().Any();
        operation.Responses ??= new OpenApiResponses();
        if (path == "/jobs/{jobId}/log")
        {
            // The handler writes the stored frames as they are; the schema says what they are.
            operation.Responses["200"] = new OpenApiResponse
            {
                Description = "The lines, oldest first",
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/json"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchemaReference("LineFrame", context.Document) } },
                },
            };
        }

        if (anonymous)
        {
            return Task.CompletedTask;
        }

        var statuses = Problems.GetValueOrDefault((method, path), []);
        WithProblems(context.Document!, operation.Responses, [.. statuses, 401, 429]);
        Secured(context.Document!, AdminScheme, operation);
        return Task.CompletedTask;
    }

    private static OpenApiOperation Secured(OpenApiDocument document, string scheme, OpenApiOperation operation)
    {
        operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(scheme, document)] = [] }];
        return operation;
    }

    private static OpenApiResponses WithProblems(OpenApiDocument document, OpenApiResponses responses, IEnumerable<int> statuses)
    {
        foreach (var status in statuses.Distinct().Order())
        {
            var key = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (!responses.ContainsKey(key) || responses[key].Content is null or { Count: 0 })
            {
                responses[key] = ProblemResponse(document, ReasonPhrase(status));
            }
        }

        return responses;
    }

    private static OpenApiResponse ProblemResponse(OpenApiDocument? document, string description) => new()
    {
        Description = description,
        Content = new Dictionary<string, OpenApiMediaType> { [ProblemJson] = new() { Schema = new OpenApiSchemaReference("ProblemDetails", document) } },
    };

    private static string ReasonPhrase(int status) => status switch
    {
        400 => "The request is not valid (detail says why)",
        401 => "Missing or wrong token",
        403 => "Origin not allowed, or reboots turned off (Host:AllowReboot)",
        404 => "No such job",
        409 => "Conflicts with the running job or a scheduled reboot",
        413 => "Body too large",
        429 => "Too many failed authentications, streams or tickets from this address",
        503 => "The daemon is busy or at its stream limit; try again",
        _ => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status),
    };
}
