"""The forloeb command line: thin click commands that parse, call the service, print."""
