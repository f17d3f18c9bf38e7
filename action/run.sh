#!/usr/bin/env bash
# Runs `vapi-drift check` (or `validate`) for the GitHub Action (action.yml) and turns
# the JSON report into step outputs. Never fails on the audit's verdict: the exit code is
# an output, and the action's last step decides (so the summary and the artifact are
# written first).
#
# Environment (every input arrives here, never in the script text):
#   VD_BIN            the vapi-drift binary
#   VD_COMMAND        check (default) or validate (offline; no reports, no API key)
#   VD_PATHS          desired files or folders, separated by spaces or new lines
#   VD_ARGS           extra `check` arguments, separated by spaces or new lines
#                     (split on white space, never evaluated: no quotes, no $VARs)
#   VD_JSON, VD_MARKDOWN, VD_JUNIT   report files ("" leaves that report out)
#   VD_ANNOTATIONS    true: `-o github` annotations on the desired YAML lines
#   VD_SUMMARY        true: append the Markdown report to $GITHUB_STEP_SUMMARY
#   VAPI_API_KEY      from the caller's `env:`; read by vapi-drift only, never printed
set -uo pipefail

bin=${VD_BIN:-vapi-drift}
read -r -d '' -a paths <<<"${VD_PATHS:-desired}" || true
read -r -d '' -a extra <<<"${VD_ARGS:-}" || true
[ "${#paths[@]}" -gt 0 ] || paths=(desired)

command=${VD_COMMAND:-check}
outputs=()
files=()
for pair in "json=${VD_JSON:-}" "markdown=${VD_MARKDOWN:-}" "junit=${VD_JUNIT:-}"; do
    file=${pair#*=}
    if [ -n "$file" ]; then
        outputs+=(-o "$pair")
        files+=("$file")
        rm -f -- "$file" # a report left from an earlier run must not be read as this one's
    fi
done
if [ "$command" = validate ]; then
    code=0
    "$bin" validate "${paths[@]}" ${extra[@]+"${extra[@]}"} || code=$?
    echo "vapi-drift validate exited with $code"
    if [ "${VD_SUMMARY:-true}" = true ] && [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
        if [ "$code" = 0 ]; then verdict="valid"; else verdict="not valid (exit code $code; the step log names each problem)"; fi
        printf '## vapi-drift validate\n\n%s: %s\n' "${paths[*]}" "$verdict" >>"$GITHUB_STEP_SUMMARY"
    fi
    {
        echo "exit-code=$code"
        echo "status="
        echo "report-files="
    } >>"${GITHUB_OUTPUT:-/dev/stdout}"
    exit 0
elif [ "$command" != check ]; then
    echo "::error title=vapi-drift::command \"$command\" is neither check nor validate"
    echo "exit-code=64" >>"${GITHUB_OUTPUT:-/dev/stdout}"
    exit 0
fi
if [ "${VD_ANNOTATIONS:-true}" = true ]; then
    outputs+=(-o github)
fi
if [ -z "${VAPI_API_KEY:-}" ]; then
    echo "::warning title=vapi-drift::VAPI_API_KEY is not set: set it in the env: of the step that uses the action, from a secret"
fi

code=0
# ${a[@]+"${a[@]}"}: an empty array under `set -u` in the bash 3.2 of macOS
"$bin" check "${paths[@]}" ${outputs[@]+"${outputs[@]}"} ${extra[@]+"${extra[@]}"} || code=$?
echo "vapi-drift check exited with $code"

status='' desired='' checked='' in_sync='' modified='' missing='' not_checked='' unmanaged=''
json=${VD_JSON:-}
if [ -n "$json" ] && [ -s "$json" ] && jq -e '.summary' "$json" >/dev/null 2>&1; then
    IFS=$'\t' read -r status desired checked in_sync modified missing not_checked unmanaged < <(
        jq -r '[.status, (.summary | .desired, .checked, .in_sync, .modified, .missing,
                .not_checked, .unmanaged)] | map(. // "" | tostring) | @tsv' "$json"
    )
fi

if [ "${VD_SUMMARY:-true}" = true ] && [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    if [ -n "${VD_MARKDOWN:-}" ] && [ -s "$VD_MARKDOWN" ]; then
        cat -- "$VD_MARKDOWN" >>"$GITHUB_STEP_SUMMARY"
    else
        # shellcheck disable=SC2016 # the backticks are Markdown
        printf '## vapi-drift\n\n`vapi-drift check` exited with %s and wrote no Markdown report; see the step log.\n' \
            "$code" >>"$GITHUB_STEP_SUMMARY"
    fi
fi

# The report files that exist, as absolute paths (upload-artifact resolves paths
# against the workspace, not the working directory).
existing=()
for file in ${files[@]+"${files[@]}"}; do
    if [ -f "$file" ]; then
        case $file in
        /*) existing+=("$file") ;;
        *) existing+=("$PWD/$file") ;;
        esac
    fi
done

out=${GITHUB_OUTPUT:-/dev/stdout}
{
    echo "exit-code=$code"
    echo "status=$status"
    echo "desired=$desired"
    echo "checked=$checked"
    echo "in-sync=$in_sync"
    echo "modified=$modified"
    echo "missing=$missing"
    echo "not-checked=$not_checked"
    echo "unmanaged=$unmanaged"
    delimiter="vapi-drift-files-$RANDOM$RANDOM"
    echo "report-files<<$delimiter"
    if [ "${#existing[@]}" -gt 0 ]; then
        printf '%s\n' "${existing[@]}"
    fi
    echo "$delimiter"
} >>"$out"
exit 0
