/*
 * Sample rules for the ksvm demo and tests.  They show the metadata that
 * kfscan reads (ksvm_cure, ksvm_cure_string, ksvm_cure_fill: see kfscan(1),
 * "CURES") and are specific enough to find nothing on an ordinary system.
 */

rule KSVM_Sample_Appended_Payload : dropper
{
  meta:
    description = "A program with a payload appended after its end"
    category = "trojan"
    severity = 3
    ksvm_cure = "truncate"
    ksvm_cure_string = "$marker"
  strings:
    $marker = "KSVM-SAMPLE-APPENDED-PAYLOAD"
  condition:
    $marker and not $marker at 0
}

rule KSVM_Sample_PHP_Webshell : webshell
{
  meta:
    description = "PHP that runs code sent in a request"
    category = "backdoor"
    severity = 4
  strings:
    $php = "<?php"
    $exec = /(eval|assert)\s*\(\s*(base64_decode|gzinflate|str_rot13)\s*\(\s*\$_(POST|GET|REQUEST|COOKIE)\[/
  condition:
    $php at 0 and $exec and filesize < 64KB
}

rule KSVM_Sample_Miner_Config : miner
{
  meta:
    description = "Configuration of a coin miner pointed at a pool"
    category = "pup"
    severity = 2
    ksvm_cure = "wipe"
    ksvm_cure_string = "$pool"
    ksvm_cure_fill = 0x20
  strings:
    $pool = /stratum\+tcp:\/\/[a-z0-9.-]{3,64}:[0-9]{2,5}/
    $algo = "\"algo\""
  condition:
    $pool and $algo
}
