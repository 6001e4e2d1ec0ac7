using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/ActivityLog.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
