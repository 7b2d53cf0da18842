# escape=`
FROM mcr.microsoft.com/windows/servercore:ltsc2022
SHELL ["powershell", "-Command"]
RUN New-Item -ItemType Directory C:\app ; `
    Write-Host "backslashes are plain here: C:\app\"
WORKDIR C:\app
COPY app.ps1 C:\app\
RUN echo one ``
RUN echo two
ENV PATH="C:\app;C:\Windows" `
    HOME=C:\Users\app
USER ContainerUser
