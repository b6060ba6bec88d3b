var app = WebApplication.CreateBuilder(args).Build();
app.MapGet("/healthz", () => TypedResults.Text("ok"));
app.Run();
