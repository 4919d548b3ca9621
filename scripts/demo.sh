#!/bin/sh
echo "demo: under construction"
