from touchstream.cli import app

app(prog_name="touchstream")
