#!/bin/sh
# Package output that looks like HTML: the page must show it as text, never run or render it.
echo '<img src=x onerror="document.title=1">'
echo '<b>not bold</b> &amp; <script>document.title=2</script>'
echo 'plain line'
